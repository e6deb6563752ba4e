import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { serve } from "@hono/node-server";
import { DuckDBWorker } from "@openduck/engine";
import { createGatewayApp, createWorkerApp, type GatewayAppOptions, WorkerRegistry } from "@openduck/gateway";
import { ExecutionService } from "@openduck/protocol";
import type { LayeredDatabaseStore } from "@openduck/storage";
import type { TestStorage } from "./storage-backends.js";

/** One gateway with its own worker and local storage cache, over storage it may share with other instances. */
export interface GatewayInstance {
  url: string;
  store: LayeredDatabaseStore;
  worker: DuckDBWorker;
  /** An ExecutionService client presenting `token`. */
  client(token: string): Client<typeof ExecutionService>;
  close(): Promise<void>;
}

/** An ExecutionService client of the gateway at `url` (Connect, binary), calling with `token`. */
export function executionClient(url: string, token: string) {
  const authorize: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  return createClient(
    ExecutionService,
    createConnectTransport({ baseUrl: url, useBinaryFormat: true, interceptors: [authorize] }),
  );
}

/**
 * Starts the real gateway app on a free loopback port, as `openduck serve`
 * runs it, with a worker in this process. Instances started with the same
 * `storage` and secret behave as one deployment: a handle or a transaction
 * token from one is good at the others.
 */
export async function startGatewayInstance(
  storage: TestStorage,
  name: string,
  options: {
    tokens: string[];
    secret?: string;
    /** Options of the gateway app beyond the worker, the tokens and the secret. */
    app?: Pick<GatewayAppOptions, "resultParts" | "keepResultsMs">;
  },
): Promise<GatewayInstance> {
  const store = await storage.open({ work: `work-${name}` });
  const worker = new DuckDBWorker({ store, scratchDirectory: join(storage.dataDirectory, `duckdb-${name}`) });
  const app = createGatewayApp({
    worker,
    acceptsToken: (presented) => options.tokens.includes(presented),
    secret: options.secret ?? "test-secret",
    version: "test",
    ...options.app,
  });
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    worker,
    client: (token) => executionClient(url, token),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await worker.close();
      await store.close();
    },
  };
}

/**
 * A gateway in front of `instance`'s worker served over WorkerService, as
 * `openduck gateway` and `openduck worker` run it: the worker registers at
 * the gateway, which reaches it over HTTP.
 */
export async function startSplitGateway(
  instance: GatewayInstance,
  options: { tokens: string[]; secret?: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const secret = options.secret ?? "test-secret";
  const workerApp = createWorkerApp({
    worker: instance.worker,
    administration: { store: instance.store, createDatabase: (name) => instance.worker.createDatabase(name) },
    secret,
    version: "test",
  });
  const registry = new WorkerRegistry(secret);
  const gatewayApp = createGatewayApp({
    worker: registry,
    registry,
    acceptsToken: (presented) => options.tokens.includes(presented),
    secret,
    version: "test",
  });
  const workerServer = serve({ fetch: workerApp.fetch, hostname: "127.0.0.1", port: 0 });
  const gatewayServer = serve({ fetch: gatewayApp.fetch, hostname: "127.0.0.1", port: 0 });
  await Promise.all(
    [workerServer, gatewayServer].map((server) => new Promise((ok) => server.once("listening", ok))),
  );
  registry.register(`http://127.0.0.1:${(workerServer.address() as AddressInfo).port}`);
  return {
    url: `http://127.0.0.1:${(gatewayServer.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((ok) => gatewayServer.close(ok));
      await new Promise((ok) => workerServer.close(ok));
    },
  };
}
