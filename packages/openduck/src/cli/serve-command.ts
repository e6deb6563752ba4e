import { parseArgs } from "node:util";
import { createGatewayApp, secretsMatch } from "@openduck/gateway";
import { version } from "../version.js";
import { connectionBanner } from "./banner.js";
import { listen, shutdownRequested } from "./http-listener.js";
import { startLocalWorker, workerOptions } from "./local-worker.js";
import { parsePort, resolveSecret, resolveToken } from "./settings.js";
import { describeStorage, storageConfig, storageUsage } from "./storage-config.js";

export const serveUsage = `openduck serve [-d|--database NAME]... [-t|--token TOKEN] [--port 7878] [--host 127.0.0.1]
               [--secret SECRET] [--memory-limit 1GB] [--threads N] STORAGE

Runs the gateway and a worker in one process. Each -d NAME is created if it
does not exist. The token is -t, else $OPENDUCK_TOKEN, else a random one
printed at start.

${storageUsage}`;

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...workerOptions,
      token: { type: "string", short: "t" },
      port: { type: "string" },
      host: { type: "string" },
      secret: { type: "string" },
    },
  });
  const token = resolveToken(values.token);
  const secret = resolveSecret(values.secret, token.value);
  const config = storageConfig(values);
  const port = parsePort(values.port, 7878);
  const local = await startLocalWorker(config, values);
  try {
    const app = createGatewayApp({
      worker: local.worker,
      administration: local.administration,
      acceptsToken: (presented) => secretsMatch(presented, token.value),
      secret,
      version,
    });
    const listener = await listen(app, values.host ?? "127.0.0.1", port);
    local.advertise(listener.url, secret);
    const databases = (await local.store.listDatabases()).map((database) => database.name);
    console.log(
      connectionBanner({
        title: `OpenDuck ${version} serving ${describeStorage(config)}`,
        url: listener.url,
        token,
        databases,
      }),
    );
    await shutdownRequested();
    await listener.close();
  } finally {
    await local.close();
  }
  return 0;
}
