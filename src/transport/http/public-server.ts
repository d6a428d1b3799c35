/**
 * The public HTTP/1.1 port (behind the edge proxy): the provider-facing shim routes (OAuth
 * callback, webhook ingress) plus `GET /healthz`. Unknown paths answer 404 JSON, a known path with
 * the wrong method 405; malformed requests get 400 from the parser hook, never a 500. Request
 * logs name the route pattern, never the URL: OAuth callbacks carry `code` in the query string.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { Unavailable } from "../../domain/errors.js";
import type { Logger } from "../../observability/logger.js";
import type { Route } from "./route.js";
import { compileRoutes } from "./route-matcher.js";
import { sendError, sendJson } from "./status-map.js";

export interface PublicServerOptions {
  routes: readonly Route[];
  host: string;
  port: number;
  logger: Logger;
  /** Headers must arrive within this time (slowloris). Default 10 s. */
  headersTimeoutMs?: number;
  /** Whole request, body included. Default 30 s. */
  requestTimeoutMs?: number;
  /** Idle keep-alive; longer than the edge proxy's idle timeout so the proxy closes first. Default 65 s. */
  keepAliveTimeoutMs?: number;
}

export interface PublicServerHandle {
  port: number;
  server: http.Server;
  drain(timeoutMs: number): Promise<void>;
}

export async function startPublicServer(opts: PublicServerOptions): Promise<PublicServerHandle> {
  const { logger } = opts;
  let draining = false;
  const matcher = compileRoutes([
    { method: "GET", path: "/healthz", handler: async (_req, res) => sendJson(res, draining ? 503 : 200, { status: draining ? "draining" : "ok" }) },
    ...opts.routes,
  ]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    if (draining) res.setHeader("connection", "close");
    // A request that started before drain may leave its keep-alive socket idle afterwards.
    res.once("close", () => {
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    const m = matcher.match(req.method, req.url);
    let route = "-";
    try {
      if (m.kind === "not_found") {
        sendJson(res, 404, { error: "not_found", message: "no such route" });
      } else if (m.kind === "method_not_allowed") {
        res.setHeader("allow", m.allow.join(", "));
        sendJson(res, 405, { error: "method_not_allowed", message: `use ${m.allow.join(", ")}` });
      } else {
        route = m.route;
        await m.handler(req, res, m.params);
      }
    } catch (err) {
      sendError(res, err, logger);
    } finally {
      logger.debug({ method: req.method, route, http_status: res.statusCode, ms: Math.round((performance.now() - start) * 100) / 100 }, "http");
    }
  }

  const server = http.createServer(
    {
      keepAlive: true,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 65_000,
      headersTimeout: opts.headersTimeoutMs ?? 10_000,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
    },
    (req, res) => void handle(req, res),
  );
  // Unparseable requests (bad request line, oversized headers) get a plain 4xx instead of a reset.
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const body = JSON.stringify({ error: "bad_request", message: "malformed request" });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new Unavailable(`public http listener ${opts.host}:${opts.port}`, { cause: err })));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, "public http listening");

  let closed: Promise<void> | undefined;
  return {
    port,
    server,
    drain(timeoutMs) {
      closed ??= new Promise<void>((resolve) => {
        draining = true;
        const timer = setTimeout(() => {
          logger.warn("public http drain timed out; closing connections");
          server.closeAllConnections();
        }, timeoutMs);
        timer.unref();
        // close() stops accepting and, in Node 19+, closes idle keep-alive connections; busy ones
        // finish their response (sent with `connection: close`) and then close.
        server.close(() => {
          clearTimeout(timer);
          logger.info("public http server stopped");
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
