/**
 * A TCP proxy on 127.0.0.1 in front of a real server, which a test can cut (every connection
 * reset, new ones refused) and restore: how the tests make Postgres unreachable for a running app.
 */
import { createConnection, createServer, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** Resets every connection and refuses new ones. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let up = true;
  const server = createServer((client) => {
    if (!up) return void client.destroy();
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    // Stops listening too, so new connections are refused (ECONNREFUSED), as when the server is down.
    cut() {
      up = false;
      server.close();
      for (const s of sockets) s.destroy();
    },
    restore() {
      up = true;
      server.listen(port, "127.0.0.1");
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  };
}
