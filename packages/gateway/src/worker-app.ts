import type { Worker } from "@openduck/engine";
import { WorkerService } from "@openduck/protocol";
import { Hono } from "hono";
import { bearerAuth, secretsMatch } from "./bearer-auth.js";
import { mountConnectRoutes } from "./connect-routes.js";
import { workerService } from "./worker-service.js";

/** The internal HTTP app of a worker process: WorkerService for gateways only. */
export function createWorkerApp(options: { worker: Worker; secret: string; version: string }): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok", service: "openduck-worker", version: options.version }));
  mountConnectRoutes(app, (router) => router.service(WorkerService, workerService(options.worker)), {
    interceptors: [bearerAuth((token) => secretsMatch(token, options.secret))],
  });
  return app;
}
