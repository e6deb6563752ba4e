export { OpenDuckClient, type OpenDuckClientOptions, type QueryOptions } from "@openduck/client";
export { type ConnectOptions, connect } from "./connect.js";
