/**
 * Delivery to durable consumers: each consumer gets every matching event it has not acked, oldest
 * first, then new ones live. Wake-ups come from Postgres LISTEN/NOTIFY (an event accepted on any
 * replica), from the earliest redelivery deadline, and from a slow poll in case a notification was
 * lost while the listen connection reconnected.
 */
import { InvalidArgument, NotFound } from "../errors.js";
import type { DeliveredEvent, EventFilter, EventNotifier, WebhookDeliveriesRepo, WebhookEventRow, WebhookEventsRepo, WebhooksRepo } from "./webhook.js";

export interface WebhookEventsDeps {
  webhooks: Pick<WebhooksRepo, "get">;
  events: Pick<WebhookEventsRepo, "listForWebhook">;
  deliveries: WebhookDeliveriesRepo;
  notifier: EventNotifier;
  ackTimeoutMs: number;
  /** Longest sleep between checks when nothing wakes the stream (default 5s). */
  pollMs?: number;
  batchSize?: number;
  now?: () => number;
}

export interface WebhookEvents {
  stream(consumer: string, filter: EventFilter, signal: AbortSignal): AsyncGenerator<DeliveredEvent>;
  ack(consumer: string, eventIds: string[]): Promise<number>;
  list(userId: string, webhookId: string, limit: number, beforeSeq?: string): Promise<WebhookEventRow[]>;
}

/** Shortest sleep of a stream whose claim found nothing (a notification still wakes it at once). */
const MIN_IDLE_SLEEP_MS = 50;

const CONSUMER = /^[A-Za-z0-9._-]{1,128}$/;

export function checkConsumer(consumer: string): string {
  if (!CONSUMER.test(consumer)) throw new InvalidArgument("consumer", "must be 1..128 of A-Z, a-z, 0-9, '.', '_', '-'");
  return consumer;
}

/** Sleeps until `ms` pass, `wake` is called or the signal aborts. */
function sleep(ms: number, signal: AbortSignal, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    onWake(done);
  });
}

export function createWebhookEvents(deps: WebhookEventsDeps): WebhookEvents {
  const now = deps.now ?? Date.now;
  const pollMs = deps.pollMs ?? 5_000;
  const batchSize = deps.batchSize ?? 100;

  return {
    async *stream(consumer, filter, signal) {
      checkConsumer(consumer);
      await deps.deliveries.touchConsumer(consumer, new Date(now()));
      let woken = false;
      let wake: (() => void) | undefined;
      const unsubscribe = await deps.notifier.subscribe(() => {
        woken = true;
        wake?.();
      });
      try {
        while (!signal.aborted) {
          woken = false;
          const batch = await deps.deliveries.claim(consumer, filter, new Date(now()), deps.ackTimeoutMs, batchSize);
          for (const event of batch) {
            if (signal.aborted) return;
            yield event;
          }
          if (batch.length === batchSize || woken) continue;
          const deadline = await deps.deliveries.nextDeadline(consumer, filter, new Date(now()));
          const untilDue = deadline ? deadline.getTime() - now() + 5 : pollMs;
          if (woken) continue;
          // A belt against spinning: with nothing claimed, never check again sooner than the floor.
          const floor = batch.length === 0 ? Math.min(pollMs, MIN_IDLE_SLEEP_MS) : 0;
          await sleep(Math.max(floor, Math.min(pollMs, untilDue)), signal, (w) => (wake = w));
          wake = undefined;
        }
      } finally {
        unsubscribe();
      }
    },

    async ack(consumer, eventIds) {
      checkConsumer(consumer);
      if (eventIds.length === 0) return 0;
      const at = new Date(now());
      // A consumer may ack before it ever streamed (ids seen through ListEvents): register it first.
      await deps.deliveries.touchConsumer(consumer, at);
      return deps.deliveries.ack(consumer, eventIds, at);
    },

    async list(userId, webhookId, limit, beforeSeq) {
      if (!(await deps.webhooks.get(userId, webhookId))) throw new NotFound("webhook");
      return deps.events.listForWebhook(userId, webhookId, limit, beforeSeq);
    },
  };
}
