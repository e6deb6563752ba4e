import { parseArgs } from "node:util";
import { createGatewayApp, secretsMatch, WorkerRegistry } from "@openduck/gateway";
import { version } from "../version.js";
import { connectionBanner } from "./banner.js";
import { listen, shutdownRequested } from "./http-listener.js";
import { parsePort, resolveSecret, resolveToken } from "./settings.js";

export const gatewayUsage = `openduck gateway [-t|--token TOKEN] [--secret SECRET] [--port 7878] [--host 127.0.0.1]

Runs only the gateway; workers started with \`openduck worker --gateway URL\`
register with it. Gateway and workers must share the token (or --secret /
$OPENDUCK_SECRET).`;

export async function gatewayCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      token: { type: "string", short: "t" },
      secret: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
    },
  });
  const token = resolveToken(values.token);
  const secret = resolveSecret(values.secret, token.value);
  const registry = new WorkerRegistry(secret);
  const app = createGatewayApp({
    worker: registry,
    registry,
    acceptsToken: (presented) => secretsMatch(presented, token.value),
    secret,
    version,
  });
  const listener = await listen(app, values.host ?? "127.0.0.1", parsePort(values.port, 7878));
  console.log(
    connectionBanner({ title: `OpenDuck ${version} gateway`, url: listener.url, token, databases: [] }),
  );
  console.log(`Workers: openduck worker --gateway ${listener.url}`);
  await shutdownRequested();
  await listener.close();
  return 0;
}
