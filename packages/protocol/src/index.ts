export { abortableFetch } from "./abortable-fetch.js";
export * from "./gen/openduck/admin/v1/admin_pb.js";
export * from "./gen/openduck/internal/v1/worker_pb.js";
export * from "./gen/openduck/v1/execution_pb.js";
