export { lambdaFunctionInvoker } from "./function-invoker.js";
export { createGatewayFunctionApp, type GatewayFunctionSettings } from "./gateway-function.js";
export { decodeInvocation, encodeInvocation, type Invocation, MAX_INVOCATION_BYTES } from "./invocation.js";
export { type FunctionInvoker, LambdaWorker } from "./lambda-worker.js";
export { startWorkerFunction, type WorkerFunctionSettings } from "./worker-function.js";
export { createWorkerHandler, type StreamingHandler } from "./worker-handler.js";
