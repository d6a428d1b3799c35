/**
 * Wires the webhooks feature from its concrete parts (Postgres repositories, the secret store,
 * the provider registry, the registrars) for app.ts: the service's and the ingress route's
 * dependencies, and the background workers.
 */
import type { WebhooksConfig } from "../../config/webhooks.js";
import type { Logger } from "../../observability/logger.js";
import { createWebhookRegistrars } from "../../providers/webhook-registrars/index.js";
import type { ProviderRegistry } from "../../providers/types.js";
import type { SecretStore } from "../../secrets/secret-store.js";
import type { Sql } from "../../storage/db.js";
import { createWebhookDeliveriesRepo } from "../../storage/webhook-deliveries-repo.js";
import { createPgEventNotifier, createWebhookEventsRepo } from "../../storage/webhook-events-repo.js";
import { createWebhooksRepo } from "../../storage/webhooks-repo.js";
import { createWebhookEvents, type WebhookEvents } from "./event-stream.js";
import { createWebhookInbox, type WebhookInbox } from "./inbox.js";
import { startWebhookMaintenance } from "./maintenance.js";
import { createWebhookManager, type GetAccessToken, type WebhookManager } from "./webhook-manager.js";
import { createWebhookSecretCache } from "./webhook-secrets.js";

export interface WebhooksModuleDeps {
  sql: Sql;
  secrets: SecretStore;
  providers: Pick<ProviderRegistry, "get">;
  config: WebhooksConfig;
  fetch?: typeof fetch;
  logger: Logger;
  getAccessToken: GetAccessToken;
  now?: () => number;
  /** Longest idle wait of a stream between checks (tests shorten it). */
  streamPollMs?: number;
}

export interface WebhooksModule {
  manager: WebhookManager;
  inbox: WebhookInbox;
  events: WebhookEvents;
  serviceDeps: { manager: WebhookManager; events: WebhookEvents };
  ingressDeps: { inbox: WebhookInbox; maxBodyBytes: number; logger: Logger };
  /** Retention pruning; call stop() on shutdown. */
  startWorkers(): { stop(): Promise<void> };
}

export function createWebhooksModule(deps: WebhooksModuleDeps): WebhooksModule {
  const { sql, config, logger } = deps;
  const now = deps.now ?? Date.now;
  const webhooks = createWebhooksRepo(sql);
  const eventsRepo = createWebhookEventsRepo(sql);
  const manager = createWebhookManager({
    repo: webhooks,
    secrets: deps.secrets,
    providers: deps.providers,
    registrars: createWebhookRegistrars({ ...(deps.fetch ? { fetch: deps.fetch } : {}), githubApiUrl: config.githubApiUrl }),
    getAccessToken: deps.getAccessToken,
    publicUrl: config.publicUrl,
    rotationGraceMs: config.rotationGraceMs,
    now,
    logger,
  });
  const inbox = createWebhookInbox({
    webhooks,
    events: eventsRepo,
    secrets: createWebhookSecretCache({ store: deps.secrets, ttlMs: config.secretCacheMs, now }),
    recordCacheMs: config.secretCacheMs,
    now,
    logger,
  });
  const events = createWebhookEvents({
    webhooks,
    events: eventsRepo,
    deliveries: createWebhookDeliveriesRepo(sql),
    notifier: createPgEventNotifier(sql),
    ackTimeoutMs: config.ackTimeoutMs,
    ...(deps.streamPollMs ? { pollMs: deps.streamPollMs } : {}),
    now,
  });
  return {
    manager,
    inbox,
    events,
    serviceDeps: { manager, events },
    ingressDeps: { inbox, maxBodyBytes: config.maxBodyBytes, logger },
    startWorkers: () =>
      startWebhookMaintenance({ events: eventsRepo, retentionMs: config.retentionMs, intervalMs: config.pruneIntervalMs, now, logger }),
  };
}
