import type { Worker } from "@openduck/engine";
import { AdminService, WorkerService } from "@openduck/protocol";
import { Hono } from "hono";
import { type Administration, adminService } from "./admin-service.js";
import { bearerAuth, secretsMatch } from "./bearer-auth.js";
import { mountConnectRoutes } from "./connect-routes.js";
import { workerService } from "./worker-service.js";

/**
 * The internal HTTP app of a worker process: WorkerService for gateways, and
 * AdminService over the worker's storage; both only for holders of the
 * cluster secret.
 */
export function createWorkerApp(options: {
  worker: Worker;
  administration: Administration;
  secret: string;
  version: string;
}): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok", service: "openduck-worker", version: options.version }));
  mountConnectRoutes(
    app,
    (router) => {
      router.service(WorkerService, workerService(options.worker));
      router.service(AdminService, adminService(options.administration));
    },
    { interceptors: [bearerAuth((token) => secretsMatch(token, options.secret))] },
  );
  return app;
}
