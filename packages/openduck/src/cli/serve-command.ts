import { parseArgs } from "node:util";
import { createGatewayApp, secretsMatch } from "@openduck/gateway";
import { version } from "../version.js";
import { connectionBanner } from "./banner.js";
import { listen, shutdownRequested } from "./http-listener.js";
import { startLocalWorker, workerOptions } from "./local-worker.js";
import { parsePort, resolveDataDirectory, resolveSecret, resolveToken } from "./settings.js";

export const serveUsage = `openduck serve [-d|--database NAME]... [-t|--token TOKEN] [--port 7878] [--host 127.0.0.1]
               [--data DIR] [--secret SECRET] [--memory-limit 1GB] [--threads N]

Runs the gateway and a worker in one process on embedded defaults: databases
live under --data (default $OPENDUCK_DATA_DIR or ./.openduck). Each -d NAME is
created if it does not exist. The token is -t, else $OPENDUCK_TOKEN, else a
random one printed at start.`;

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
  const dataDirectory = resolveDataDirectory(values.data);
  const port = parsePort(values.port, 7878);
  const { worker, store } = await startLocalWorker(dataDirectory, values);
  const app = createGatewayApp({
    worker,
    acceptsToken: (presented) => secretsMatch(presented, token.value),
    secret: resolveSecret(values.secret, token.value),
    version,
  });
  const listener = await listen(app, values.host ?? "127.0.0.1", port);
  const databases = (await store.listDatabases()).map((database) => database.name);
  console.log(
    connectionBanner({
      title: `OpenDuck ${version} serving ${dataDirectory}`,
      url: listener.url,
      token,
      databases,
    }),
  );
  await shutdownRequested();
  await listener.close();
  await worker.close();
  await store.close();
  return 0;
}
