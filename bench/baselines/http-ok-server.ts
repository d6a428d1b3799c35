/**
 * Baseline for webhook ingress: a bare node:http server that reads each POST body to the end and
 * answers 200. Same listener type as Latchkey's public port, no verification, no storage.
 * Prints {"ready": {"port": N}}.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { announceReady } from "../lib/child.js";

const server = createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
    res.end("ok");
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  announceReady({ port: (server.address() as AddressInfo).port }, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
