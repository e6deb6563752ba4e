import type { AddressInfo } from "node:net";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { serve } from "@hono/node-server";
import type { Worker } from "@openduck/engine";
import { createGatewayFunctionApp, createWorkerHandler, lambdaFunctionInvoker } from "@openduck/lambda";
import { type EmulatedEndpoint, startLambdaInvokeApi } from "./lambda-emulator.js";

export interface ServerlessGateway {
  url: string;
  /** Lambda's Invoke API in front of the worker function: what passed between gateway and worker. */
  invokeApi: EmulatedEndpoint;
  close(): Promise<void>;
}

const workerFunction = "openduck-test-worker";

/**
 * The gateway of a serverless deployment (createGatewayFunctionApp) on a
 * loopback port, calling a worker function that runs `worker` behind
 * Lambda's Invoke API (emulated), as the deployed gateway does.
 */
export async function startServerlessGateway(worker: Worker, token: string): Promise<ServerlessGateway> {
  const invokeApi = await startLambdaInvokeApi({
    [workerFunction]: createWorkerHandler(worker, async () => {}),
  });
  const lambda = new LambdaClient({
    endpoint: invokeApi.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const app = createGatewayFunctionApp({
    token,
    worker: lambdaFunctionInvoker(workerFunction, lambda),
    version: "test",
  });
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invokeApi,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await invokeApi.close();
      lambda.destroy();
    },
  };
}
