import { createGatewayApp, secretFromToken, secretsMatch } from "@openduck/gateway";
import type { Hono } from "hono";
import { lambdaFunctionInvoker } from "./function-invoker.js";
import { MAX_INVOCATION_BYTES } from "./invocation.js";
import { type FunctionInvoker, LambdaWorker } from "./lambda-worker.js";

export interface GatewayFunctionSettings {
  /** The bearer token clients present. */
  token: string;
  /** The worker function's name; or how to call it (tests). */
  worker: string | FunctionInvoker;
  version: string;
}

/**
 * The gateway of a serverless deployment: the same app as `openduck serve`,
 * over worker functions. It keeps nothing between calls: query handles and
 * transactions are signed tokens, and a read that outgrows ExecuteQuery's
 * inline limit is stopped and run again by StreamResults, since a function
 * instance is frozen between calls. Large uploads and results bypass it:
 * clients PUT staged parts to presigned URLs and fetch result parts from
 * them.
 */
export function createGatewayFunctionApp(settings: GatewayFunctionSettings): Hono {
  const invoker =
    typeof settings.worker === "string" ? lambdaFunctionInvoker(settings.worker) : settings.worker;
  return createGatewayApp({
    worker: new LambdaWorker(invoker),
    acceptsToken: (presented) => secretsMatch(presented, settings.token),
    secret: secretFromToken(settings.token),
    keepResultsMs: 0,
    // Function URLs throttle responses beyond 6 MB: large results leave as URLs to the bucket instead.
    resultParts: true,
    // A request passes to the worker function as base64 in a JSON payload of at most 6 MB.
    maxRequestBytes: Math.floor((MAX_INVOCATION_BYTES * 3) / 4) - 4096,
    version: settings.version,
  });
}
