/**
 * The internal HTTP port: Connect, gRPC-Web and gRPC (connect-node) plus /metrics, /readyz,
 * /healthz and extra routes, over HTTP/1.1 and cleartext HTTP/2 (h2c) on ONE port.
 *
 * Node's `allowHTTP1` only works for TLS (it relies on ALPN), so a small sniffer owns the TCP
 * listener: it peeks at the first bytes of each connection, hands connections that start with
 * the HTTP/2 preface to an http2 server and everything else to an http1 server, after putting the
 * peeked bytes back.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Unavailable } from "../../domain/errors.js";
import { createInternalHttpHandler, type ReadinessCheck } from "../http/internal-server.js";
import type { Route } from "../http/route.js";
import { InFlight } from "../grpc/call-context.js";
import type { RpcServerOptions } from "../rpc-server-options.js";
import { createConnectRoutes } from "./routes.js";

export interface InternalServerOptions extends RpcServerOptions {
  readiness: readonly ReadinessCheck[];
  routes?: readonly Route[];
}

export interface InternalServerHandle {
  port: number;
  drain(timeoutMs: number): Promise<void>;
  forceClose(): void;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
// A connection that sends nothing decisive within this time is dropped (slowloris on the sniffer).
const SNIFF_TIMEOUT_MS = 10_000;
/**
 * Largest request message, after decompression, as on the gRPC port (grpc-js' default 4 MiB).
 * connect-node's default is 4 GiB, and it reads (and inflates) the body before the handler checks
 * the caller's token: without this bound one anonymous gzip request could take gigabytes.
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export async function startInternalServer(opts: InternalServerOptions): Promise<InternalServerHandle> {
  const { logger } = opts;
  const inFlight = new InFlight();
  const fallback = createInternalHttpHandler({
    metrics: opts.metrics,
    readiness: opts.readiness,
    routes: opts.routes ?? [],
    logger,
    isDraining: () => inFlight.draining,
  });
  const handler = connectNodeAdapter({
    readMaxBytes: MAX_REQUEST_BYTES,
    routes: createConnectRoutes({ ...opts, rpcLogLevel: opts.rpcLogLevel ?? "info", inFlight }),
    fallback: fallback as unknown as NonNullable<Parameters<typeof connectNodeAdapter>[0]["fallback"]>,
  });

  // HTTP/1.1 sockets with their number of unfinished requests: the http1 server was never
  // listen()ed (connections arrive through the sniffer), so its own connection tracking and
  // closeIdleConnections() do not apply; drain closes idle ones itself.
  const h1Sockets = new Map<net.Socket, number>();
  // Node enforces headersTimeout/requestTimeout only on servers that listen() themselves, so they
  // are not set here; the sniff timeout covers silent connections, keepAliveTimeout idle ones.
  const h1 = http.createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, (req, res) => {
    const socket = req.socket;
    h1Sockets.set(socket, (h1Sockets.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = (h1Sockets.get(socket) ?? 1) - 1;
      h1Sockets.set(socket, left);
      if (left === 0 && inFlight.draining) socket.end();
    });
    if (inFlight.draining) res.setHeader("connection", "close");
    handler(req, res);
  });
  const h2 = http2.createServer({}, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  const sockets = new Set<net.Socket>();
  const sniffing = new Set<net.Socket>();

  function sniff(socket: net.Socket): void {
    sockets.add(socket);
    sniffing.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      sniffing.delete(socket);
    });
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = seen.length ? Buffer.concat([seen, chunk]) : chunk;
      const n = Math.min(seen.length, PREFACE.length);
      const h2Prefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2Prefix && n < PREFACE.length) return; // could still be HTTP/2: wait for more bytes
      socket.removeListener("data", onData);
      sniffing.delete(socket);
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(seen);
      if (h2Prefix) {
        h2.emit("connection", socket);
      } else {
        h1Sockets.set(socket, 0);
        socket.once("close", () => h1Sockets.delete(socket));
        h1.emit("connection", socket);
        // The http1 parser reads new bytes straight from the handle; resuming feeds it the bytes
        // put back above first (emitted on the next tick, before any further network read).
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  }

  const tcp = net.createServer(sniff);
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", (err) => reject(new Unavailable(`internal http listener ${opts.host}:${opts.port}`, { cause: err })));
    tcp.listen(opts.port, opts.host, () => resolve());
  });
  const port = (tcp.address() as net.AddressInfo).port;
  logger.info({ port }, "internal http listening (connect, grpc-web, grpc; http/1.1 and h2c)");

  function forceClose(): void {
    inFlight.force();
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
    tcp.close();
  }

  let closed: Promise<void> | undefined;
  return {
    port,
    forceClose,
    drain(timeoutMs) {
      closed ??= new Promise<void>((resolve) => {
        inFlight.drain();
        tcp.close();
        // HTTP/2: GOAWAY, open streams may finish. HTTP/1.1: idle keep-alive sockets close now,
        // busy ones after their last response (which carries `connection: close` if not yet sent).
        for (const s of sessions) s.close();
        for (const [socket, busy] of h1Sockets) if (busy === 0) socket.end();
        // Connections still being sniffed have sent no request yet.
        for (const socket of sniffing) socket.destroy();
        const timer = setTimeout(() => {
          logger.warn({ in_flight: inFlight.size, sockets: sockets.size }, "internal http drain timed out; closing connections");
          forceClose();
        }, timeoutMs);
        timer.unref();
        const poll = setInterval(() => {
          if (sockets.size === 0) {
            clearInterval(poll);
            clearTimeout(timer);
            logger.info("internal http server stopped");
            resolve();
          }
        }, 25);
      });
      return closed;
    },
  };
}
