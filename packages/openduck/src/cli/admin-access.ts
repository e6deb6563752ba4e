import { type Client, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { adminService } from "@openduck/gateway";
import { AdminService } from "@openduck/protocol";
import { currentOwner } from "./data-directory-owner.js";
import { startLocalWorker } from "./local-worker.js";
import { UsageError } from "./settings.js";
import { isEmbedded, type StorageConfig } from "./storage-config.js";

export interface AdminAccess {
  client: Client<typeof AdminService>;
  close(): Promise<void>;
}

/**
 * AdminService for a storage configuration: the running server that owns an
 * embedded data directory when there is one (PGlite allows one process), else
 * the storage opened in this process. Both answer through the same client, so
 * every command behaves the same either way.
 */
export async function openAdministration(config: StorageConfig): Promise<AdminAccess> {
  if (isEmbedded(config)) {
    const owner = currentOwner(config.dataDirectory);
    if (owner?.url !== undefined && owner.secret !== undefined) {
      const secret = owner.secret;
      const authorize: Interceptor = (next) => (request) => {
        request.header.set("authorization", `Bearer ${secret}`);
        return next(request);
      };
      const transport = createConnectTransport({ baseUrl: owner.url, interceptors: [authorize] });
      return { client: createClient(AdminService, transport), close: async () => {} };
    }
    if (owner !== undefined) {
      throw new UsageError(
        `the data directory ${config.dataDirectory} is in use by process ${owner.pid}; retry when it is done`,
      );
    }
  }
  const local = await startLocalWorker(config, {});
  const transport = createRouterTransport((router) =>
    router.service(AdminService, adminService(local.administration)),
  );
  return { client: createClient(AdminService, transport), close: () => local.close() };
}
