export { type Administration, adminService } from "./admin-service.js";
export { bearerToken, secretsMatch } from "./bearer-auth.js";
export { createGatewayApp, type GatewayAppOptions } from "./gateway-app.js";
export { QueryHandles } from "./query-handle.js";
export { RemoteWorker } from "./remote-worker.js";
export { secretFromToken } from "./signed-token.js";
export { createWorkerApp } from "./worker-app.js";
export { WorkerRegistry } from "./worker-registry.js";
