import { connect, type Socket } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export interface NeonWebSocketProxy {
  /** host:port of the proxy, the form NeonSqlClient's `webSocketProxy` option takes. */
  host: string;
  /** ws://host:port/v1, where the Neon driver opens its WebSockets. */
  url: string;
  stop(): Promise<void>;
}

const allowedTargets = new Set(["127.0.0.1", "localhost"]);

/**
 * What Neon runs in front of its databases, in miniature: the serverless
 * driver speaks the PostgreSQL wire protocol inside a WebSocket to
 * `/v1?address=host:port`, and this relays the bytes to that TCP address. It
 * listens on 127.0.0.1 and relays only to loopback addresses.
 */
export async function startNeonWebSocketProxy(): Promise<NeonWebSocketProxy> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v1" });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const sockets = new Set<Socket>();
  server.on("connection", (client, request) => {
    const target = parseTarget(new URL(request.url ?? "", "ws://proxy").searchParams.get("address"));
    if (!target) {
      client.close(1008, "address must be 127.0.0.1:<port> or localhost:<port>");
      return;
    }
    const tcp = connect(target);
    sockets.add(tcp);
    relay(client, tcp);
    tcp.once("close", () => sockets.delete(tcp));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");
  const host = `127.0.0.1:${address.port}`;
  return {
    host,
    url: `ws://${host}/v1`,
    stop: async () => {
      for (const client of server.clients) client.terminate();
      for (const tcp of sockets) tcp.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function parseTarget(address: string | null): { host: string; port: number } | undefined {
  const match = /^([^:]+):(\d{1,5})$/.exec(address ?? "");
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || !allowedTargets.has(host) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** Pipes bytes both ways; when either side ends or fails, the other is closed too. */
function relay(client: WebSocket, tcp: Socket): void {
  // Messages are Buffers (ws's default binaryType); what the driver sends
  // before the TCP connection is up waits in the socket's buffer.
  client.on("message", (data) => tcp.write(data as Buffer));
  tcp.on("data", (chunk: Buffer) => client.send(chunk, { binary: true }));
  client.once("close", () => tcp.end());
  client.once("error", () => tcp.destroy());
  tcp.once("close", () => client.close());
  tcp.once("error", () => client.terminate());
}
