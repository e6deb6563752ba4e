import { createGatewayFunctionApp } from "@openduck/lambda";
import { streamHandle } from "hono/aws-lambda";
import { Resource } from "sst";

/** The gateway function, behind a function URL that streams responses: OpenDuck's public API. */
export const handler = streamHandle(
  createGatewayFunctionApp({
    token: Resource.Token.value,
    worker: Resource.Worker.name,
    version: process.env.OPENDUCK_VERSION ?? "unknown",
  }),
);
