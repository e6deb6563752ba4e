export { OpenDuckClient, type OpenDuckClientOptions, type QueryOptions } from "./openduck-client.js";
