import type { Worker } from "@openduck/engine";
import { AdminService, ExecutionService, WorkerRegistryService } from "@openduck/protocol";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { type Administration, adminService } from "./admin-service.js";
import { bearerAuth, secretsMatch } from "./bearer-auth.js";
import { mountConnectRoutes } from "./connect-routes.js";
import { executionService } from "./execution-service.js";
import { QueryHandles } from "./query-handle.js";
import { MAX_STAGED_PART_BYTES } from "./stage-rows.js";
import { SuspendedResults } from "./suspended-results.js";
import { TransactionTokens } from "./transaction-token.js";
import type { WorkerRegistry } from "./worker-registry.js";

export interface GatewayAppOptions {
  /** Runs the queries: a worker in this process, or the registry of remote ones. */
  worker: Worker;
  /** Decides whether a client's bearer token is accepted. */
  acceptsToken: (token: string) => boolean;
  /** Shared by every gateway instance and worker: signs handles, authenticates workers. */
  secret: string;
  /** When set, workers in other processes can register at this gateway. */
  registry?: WorkerRegistry;
  /** When set (the gateway runs with its storage), AdminService is served to holders of the secret. */
  administration?: Administration;
  defaultInlineLimitBytes?: number;
  /** How long a read answered with a handle stays running for its StreamResults (30 s; 0: not at all). */
  keepResultsMs?: number;
  /**
   * Large results of a StreamResults that runs its query again go to clients
   * that accept URLs as result parts, written by the worker to the object
   * store (default false). For gateways whose responses are limited or slow
   * beyond a few MB (a serverless function); needs a store that presigns.
   */
  resultParts?: boolean;
  /**
   * How long a transaction may run (24 h): no longer than the store keeps
   * its private snapshots (LayeredStoreOptions.transactionLifetimeMs).
   */
  transactionTtlMs?: number;
  /** Largest request message accepted: a staged part of 5 MiB and its framing by default. */
  maxRequestBytes?: number;
  version: string;
}

/** Headers browsers may send and read for Connect and gRPC-Web calls. */
const corsOptions = {
  origin: "*",
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: [
    "authorization",
    "content-type",
    "connect-protocol-version",
    "connect-timeout-ms",
    "grpc-timeout",
    "x-grpc-web",
    "x-user-agent",
  ],
  exposeHeaders: ["grpc-status", "grpc-message", "grpc-status-details-bin"],
  maxAge: 86400,
};

/**
 * The public OpenDuck HTTP app: ExecutionService over Connect and gRPC-Web,
 * and GET /health. It knows only the fetch API, so any runtime can serve it.
 */
export function createGatewayApp(options: GatewayAppOptions): Hono {
  const app = new Hono();
  const allowBrowsers = cors(corsOptions);
  // Only browsers need CORS headers, and they always say where they come from; other clients (the extension, the
  // CLI, servers) are spared the bytes on every answer. GET answers keep them, since a cache may serve them to anyone.
  app.use((c, next) =>
    c.req.method === "GET" || c.req.header("origin") !== undefined ? allowBrowsers(c, next) : next(),
  );
  app.get("/health", (c) =>
    c.json({
      status: "ok",
      service: "openduck-gateway",
      version: options.version,
      ...(options.registry ? { workers: options.registry.liveWorkers().length } : {}),
    }),
  );
  // Larger requests fail with resource_exhausted, naming the limit, before any of it is processed.
  const readMaxBytes = options.maxRequestBytes ?? MAX_STAGED_PART_BYTES + 512 * 1024;
  mountConnectRoutes(
    app,
    (router) =>
      router.service(
        ExecutionService,
        executionService({
          worker: options.worker,
          handles: new QueryHandles(options.secret),
          transactions: new TransactionTokens(options.secret, options.transactionTtlMs),
          defaultInlineLimitBytes: options.defaultInlineLimitBytes ?? 1024 * 1024,
          suspended: new SuspendedResults(options.keepResultsMs),
          resultParts: options.resultParts ?? false,
        }),
      ),
    { interceptors: [bearerAuth(options.acceptsToken)], readMaxBytes },
  );
  const internal = {
    interceptors: [bearerAuth((token) => secretsMatch(token, options.secret))],
    readMaxBytes,
  };
  const { registry, administration } = options;
  if (registry !== undefined) {
    mountConnectRoutes(app, (router) => router.service(WorkerRegistryService, registry.service()), internal);
  }
  if (administration !== undefined) {
    mountConnectRoutes(app, (router) => router.service(AdminService, adminService(administration)), internal);
  }
  return app;
}
