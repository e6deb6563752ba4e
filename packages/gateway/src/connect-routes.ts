import { type ConnectRouter, type ConnectRouterOptions, createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import type { Hono } from "hono";

/**
 * Serves Connect services from a Hono app through the fetch API alone, so the
 * same app runs under Node, Lambda and any other fetch runtime. Connect and
 * gRPC-Web both work over HTTP/1.1.
 */
export function mountConnectRoutes(
  app: Hono,
  routes: (router: ConnectRouter) => void,
  options: ConnectRouterOptions,
): void {
  const router = createConnectRouter(options);
  routes(router);
  for (const handler of router.handlers) {
    const handle = createFetchHandler(handler);
    app.on(handler.allowedMethods, handler.requestPath, (c) => handle(c.req.raw));
  }
}
