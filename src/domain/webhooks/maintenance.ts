/**
 * Background upkeep of the inbox: prunes events past retention (their delivery state goes with
 * them). Safe on every replica at once: deletes are idempotent and batched.
 */
import type { Logger } from "../../observability/logger.js";
import type { WebhookEventsRepo } from "./webhook.js";

export interface WebhookMaintenanceDeps {
  events: Pick<WebhookEventsRepo, "pruneBefore">;
  retentionMs: number;
  intervalMs: number;
  now?: () => number;
  logger: Logger;
  batchSize?: number;
}

export interface WebhookMaintenance {
  /** One pass; returns how many events were pruned. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startWebhookMaintenance(deps: WebhookMaintenanceDeps): WebhookMaintenance {
  const now = deps.now ?? Date.now;
  const batch = deps.batchSize ?? 1000;
  let running: Promise<number> | undefined;
  let stopped = false;

  async function prune(): Promise<number> {
    const cutoff = new Date(now() - deps.retentionMs);
    let total = 0;
    for (;;) {
      const n = await deps.events.pruneBefore(cutoff, batch);
      total += n;
      if (n < batch || stopped) break;
    }
    if (total > 0) deps.logger.info({ pruned: total, cutoff }, "pruned webhook events past retention");
    return total;
  }

  function runOnce(): Promise<number> {
    running ??= prune().finally(() => (running = undefined));
    return running;
  }

  const timer = setInterval(() => {
    runOnce().catch((err: unknown) => deps.logger.warn({ err }, "webhook retention pruning failed; will retry"));
  }, deps.intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
