/**
 * The plain-HTTP side of the internal port (next to Connect/gRPC-Web, see
 * transport/connect/server.ts): `GET /metrics`, `GET /readyz`, `GET /healthz`, and any extra
 * `Route`s. Readiness runs the injected checks in parallel with a timeout and names what failed,
 * never why (a dependency's error text can carry connection strings); the causes go to the log.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "../../observability/logger.js";
import type { Metrics } from "../../observability/metrics.js";
import type { Route } from "./route.js";
import { compileRoutes } from "./route-matcher.js";
import { sendError, sendJson } from "./status-map.js";

export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency is usable; rejects (or exceeds the timeout) when not. */
  check(): Promise<void>;
}

export interface InternalHttpOptions {
  metrics: Metrics;
  readiness: readonly ReadinessCheck[];
  routes?: readonly Route[];
  logger: Logger;
  /** Per-check timeout for /readyz. Default 2000 ms. */
  readinessTimeoutMs?: number;
  /** True once the server drains: /readyz answers 503 so load balancers stop sending. */
  isDraining?: () => boolean;
}

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;
export type InternalHttpHandler = (req: AnyRequest, res: AnyResponse) => void;

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref());
}

export function createInternalHttpHandler(opts: InternalHttpOptions): InternalHttpHandler {
  const { metrics, readiness, logger } = opts;
  const limit = opts.readinessTimeoutMs ?? 2000;

  async function readyz(res: ServerResponse): Promise<void> {
    if (opts.isDraining?.()) return sendJson(res, 503, { status: "draining" });
    const results = await Promise.all(
      readiness.map(async (c) => {
        try {
          await Promise.race([c.check(), timeout(limit)]);
          return [c.name, "ok"] as const;
        } catch (err) {
          logger.warn({ err, check: c.name }, "readiness check failed");
          return [c.name, "failed"] as const;
        }
      }),
    );
    const failed = results.filter(([, s]) => s === "failed").map(([n]) => n);
    sendJson(res, failed.length ? 503 : 200, { status: failed.length ? "unavailable" : "ok", failed, checks: Object.fromEntries(results) });
  }

  async function metricsText(res: ServerResponse): Promise<void> {
    const body = await metrics.render();
    res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(body) });
    res.end(body);
  }

  const matcher = compileRoutes([
    { method: "GET", path: "/healthz", handler: async (_req, res) => sendJson(res, 200, { status: "ok" }) },
    { method: "GET", path: "/readyz", handler: async (_req, res) => readyz(res) },
    { method: "GET", path: "/metrics", handler: async (_req, res) => metricsText(res) },
    ...(opts.routes ?? []),
  ]);

  return (anyReq, anyRes) => {
    // Route handlers are typed for HTTP/1.1; the HTTP/2 compatibility objects offer the same API.
    const req = anyReq as IncomingMessage;
    const res = anyRes as ServerResponse;
    const m = matcher.match(req.method, req.url);
    if (m.kind === "not_found") return sendJson(res, 404, { error: "not_found", message: "no such route" });
    if (m.kind === "method_not_allowed") {
      res.setHeader("allow", m.allow.join(", "));
      return sendJson(res, 405, { error: "method_not_allowed", message: `use ${m.allow.join(", ")}` });
    }
    m.handler(req, res, m.params).catch((err: unknown) => sendError(res, err, logger));
  };
}
