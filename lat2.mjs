import { serve } from "@hono/node-server";
import { createGatewayApp } from "@openduck/gateway";
import { OpenDuckClient } from "openduck";
import { create } from "@bufbuild/protobuf";
import { ExecuteResponseSchema } from "@openduck/protocol";
const fake = { async *execute() {
  yield create(ExecuteResponseSchema, { payload: { case: "header", value: { snapshotId: "1", statementType: "SELECT", columns: [{name:"x", type:"INTEGER"}] } } });
  yield create(ExecuteResponseSchema, { payload: { case: "end", value: { statistics: {} } } });
} };
const app = createGatewayApp({ worker: fake, acceptsToken: () => true, secret: "s", version: "t" });
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
await new Promise((r) => server.once("listening", r));
const url = `http://127.0.0.1:${server.address().port}`;
async function time(label, fn, n = 500) {
  for (let i = 0; i < 100; i++) await fn();
  const s = []; for (let i = 0; i < n; i++) { const t = performance.now(); await fn(); s.push(performance.now() - t); }
  s.sort((a, b) => a - b); console.log(label, "p50", s[n >> 1].toFixed(3), "p99", s[Math.floor(n * 0.99)].toFixed(3));
}
const client = new OpenDuckClient({ endpoint: url, token: "t" });
await time("client.execute fake worker", () => client.execute("db", "SELECT 42"));
await time("raw fetch health", () => fetch(url + "/health").then((r) => r.text()));
server.close(); process.exit(0);
