import { InvokeWithResponseStreamCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { Code, ConnectError } from "@connectrpc/connect";
import type { FunctionInvoker } from "./lambda-worker.js";

/**
 * Invokes the Lambda function `functionName` with a streamed response
 * (InvokeWithResponseStream), with the credentials and region of the
 * environment (the gateway function's role).
 */
export function lambdaFunctionInvoker(functionName: string, client = new LambdaClient({})): FunctionInvoker {
  return {
    async *invoke(payload, signal) {
      const response = await client
        .send(
          new InvokeWithResponseStreamCommand({
            FunctionName: functionName,
            Payload: new TextEncoder().encode(payload),
          }),
          { abortSignal: signal },
        )
        .catch((error: unknown) => {
          if (signal.aborted) throw error;
          throw new ConnectError(
            `cannot invoke the worker function ${functionName}: ${(error as Error).message}`,
            Code.Unavailable,
          );
        });
      if (response.EventStream === undefined) {
        throw new ConnectError(`the worker function ${functionName} sent no response stream`, Code.Internal);
      }
      for await (const event of response.EventStream) {
        if (event.PayloadChunk?.Payload !== undefined) {
          yield event.PayloadChunk.Payload;
        } else if (event.InvokeComplete !== undefined) {
          const { ErrorCode, ErrorDetails } = event.InvokeComplete;
          if (ErrorCode) {
            throw new ConnectError(
              `the worker function ${functionName} failed: ${ErrorCode}${ErrorDetails ? `: ${ErrorDetails}` : ""}`,
              Code.Internal,
            );
          }
          return;
        }
      }
    },
  };
}
