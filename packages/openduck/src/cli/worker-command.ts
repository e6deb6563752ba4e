import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { createWorkerApp } from "@openduck/gateway";
import { WorkerRegistryService } from "@openduck/protocol";
import { version } from "../version.js";
import { listen, shutdownRequested } from "./http-listener.js";
import { startLocalWorker, workerOptions } from "./local-worker.js";
import { parsePort, resolveSecret, resolveToken, UsageError } from "./settings.js";
import { storageConfig, storageUsage } from "./storage-config.js";

export const workerUsage = `openduck worker --gateway URL [-t|--token TOKEN] [--secret SECRET] [--port 0] [--host 127.0.0.1]
                [-d|--database NAME]... [--memory-limit 1GB] [--threads N] STORAGE

Runs a worker that executes queries for the gateway at URL. It listens on
--port (default: any free port) and keeps its registration with the gateway
alive until stopped.

${storageUsage}`;

export async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...workerOptions,
      gateway: { type: "string" },
      token: { type: "string", short: "t" },
      secret: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
    },
  });
  if (!values.gateway) throw new UsageError("openduck worker needs --gateway URL (the gateway it works for)");
  const token = resolveToken(values.token);
  if (token.source === "generated" && !values.secret && !process.env.OPENDUCK_SECRET) {
    throw new UsageError("openduck worker needs the gateway's token (-t or OPENDUCK_TOKEN) or --secret");
  }
  const secret = resolveSecret(values.secret, token.value);
  const local = await startLocalWorker(storageConfig(values), values);
  const listener = await listen(
    createWorkerApp({ worker: local.worker, administration: local.administration, secret, version }),
    values.host ?? "127.0.0.1",
    parsePort(values.port, 0),
  ).catch(async (error: unknown) => {
    await local.close();
    throw error;
  });
  local.advertise(listener.url, secret);
  const registry = createClient(
    WorkerRegistryService,
    createConnectTransport({
      baseUrl: values.gateway,
      interceptors: [
        (next) => (request) => {
          request.header.set("authorization", `Bearer ${secret}`);
          return next(request);
        },
      ],
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  let registered = false;
  const register = async () => {
    try {
      const { ttlMs } = await registry.register({ url: listener.url });
      if (!registered)
        console.log(`OpenDuck ${version} worker at ${listener.url} registered with ${values.gateway}`);
      registered = true;
      timer = setTimeout(register, Math.max(1000, ttlMs / 3));
    } catch (error) {
      registered = false;
      console.error(`cannot register with gateway ${values.gateway}: ${(error as Error).message}; retrying`);
      timer = setTimeout(register, 1000);
    }
  };
  await register();
  await shutdownRequested();
  clearTimeout(timer);
  await listener.close();
  await local.close();
  return 0;
}
