/**
 * One "replica" of the webhooks feature for tests: the real module (repositories, inbox, streams)
 * on its own Postgres pool, the real ingress route on a loopback HTTP server, and the service
 * implementation to call directly. Several instances on one TestDb are several replicas.
 * (The full-app version goes through test/support/harness.ts once app.ts is wired.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createWebhooksService } from "../../src/api/webhooks-service.js";
import type { CallContext } from "../../src/api/types.js";
import { loadWebhooksConfig, type WebhooksConfig } from "../../src/config/webhooks.js";
import { createWebhooksModule, type WebhooksModule } from "../../src/domain/webhooks/module.js";
import type { GetAccessToken } from "../../src/domain/webhooks/webhook-manager.js";
import type { Logger } from "../../src/observability/logger.js";
import { createProviderRegistry } from "../../src/providers/registry.js";
import type { SecretStore } from "../../src/secrets/secret-store.js";
import type { Sql } from "../../src/storage/db.js";
import { compileRoutes } from "../../src/transport/http/route-matcher.js";
import { createWebhookIngressRoute } from "../../src/transport/http/webhook-ingress.js";
import { captureLogs } from "./logs.js";

export interface WebhooksInstance {
  url: string;
  module: WebhooksModule;
  service: ReturnType<typeof createWebhooksService>;
  server: Server;
  /** Every log line this instance wrote, to prove secrets never reach logs. */
  logLines: string[];
  logger: Logger;
  ctx(signal?: AbortSignal): CallContext;
  close(): Promise<void>;
}

export interface WebhooksInstanceOptions {
  sql: Sql;
  secrets: SecretStore;
  config?: Partial<WebhooksConfig>;
  getAccessToken?: GetAccessToken;
  now?: () => number;
  fetch?: typeof fetch;
  streamPollMs?: number;
}

export async function startWebhooksInstance(opts: WebhooksInstanceOptions): Promise<WebhooksInstance> {
  const { logger, raw: logLines } = captureLogs();
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => handle?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const config: WebhooksConfig = { ...loadWebhooksConfig({ LATCHKEY_PUBLIC_URL: url }), ...opts.config };
  const module = createWebhooksModule({
    sql: opts.sql,
    secrets: opts.secrets,
    providers: createProviderRegistry({ env: {} }),
    config,
    logger,
    getAccessToken: opts.getAccessToken ?? (() => Promise.reject(new Error("no token service in this test"))),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.streamPollMs ? { streamPollMs: opts.streamPollMs } : {}),
  });
  const routes = compileRoutes([createWebhookIngressRoute(module.ingressDeps)]);
  handle = (req, res) => {
    const m = routes.match(req.method, req.url);
    if (m.kind !== "found") return void res.writeHead(404).end();
    m.handler(req, res, m.params).catch(() => res.writeHead(500).end());
  };
  const service = createWebhooksService(module.serviceDeps);
  return {
    url,
    module,
    service,
    server,
    logLines,
    logger,
    ctx: (signal = new AbortController().signal) => ({ caller: { name: "test", role: "operator" }, requestId: "test", signal, log: logger }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
