/**
 * Delivery to consumers through the service implementation, with events posted through real HTTP:
 * oldest first then live, ack-timeout redelivery, resume on reconnect, LISTEN/NOTIFY across
 * replicas (separate pools), no loss when a replica dies right after its 2xx, retention.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePageToken } from "../../src/api/validate.js";
import { createWebhooksService } from "../../src/api/webhooks-service.js";
import { InvalidArgument, NotFound } from "../../src/domain/errors.js";
import { createWebhookEvents } from "../../src/domain/webhooks/event-stream.js";
import { startWebhookMaintenance } from "../../src/domain/webhooks/maintenance.js";
import { signGithub } from "../../src/providers/webhook-schemes/github.js";
import { createLocalKeyring } from "../../src/secrets/local-keyring.js";
import type { SecretStore } from "../../src/secrets/secret-store.js";
import { createWebhookDeliveriesRepo } from "../../src/storage/webhook-deliveries-repo.js";
import { createWebhookEventsRepo } from "../../src/storage/webhook-events-repo.js";
import { createWebhooksRepo } from "../../src/storage/webhooks-repo.js";
import { createTestDb, type TestDb } from "../support/postgres.js";
import { startWebhooksInstance, type WebhooksInstance } from "../support/webhooks-instance.js";

let db: TestDb;
let secrets: SecretStore;
let a: WebhooksInstance;
let b: WebhooksInstance;
const ACK_TIMEOUT_MS = 400;

beforeAll(async () => {
  db = await createTestDb();
  secrets = await createLocalKeyring({ file: path.join(await mkdtemp(path.join(tmpdir(), "lk-ws-")), "keyring.json") });
  a = await startWebhooksInstance({ sql: db.sql, secrets, config: { ackTimeoutMs: ACK_TIMEOUT_MS }, streamPollMs: 1000 });
  // Replica B polls only every 30s: an event reaching it within a second came through NOTIFY.
  b = await startWebhooksInstance({ sql: db.connect(4), secrets, config: { ackTimeoutMs: ACK_TIMEOUT_MS }, streamPollMs: 30_000 });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

interface Hook {
  id: string;
  url: string;
  secret: string;
}

async function hook(userId = "alice"): Promise<Hook> {
  const res = await a.service.createWebhook({ userId, provider: "github", resource: "", events: [], credentialId: "", secret: "" } as never, a.ctx());
  return { id: res.webhook!.id!, url: res.webhook!.ingressUrl!, secret: res.signingSecret! };
}

let counter = 0;
async function send(h: Hook, event = "push", url = h.url): Promise<string> {
  const body = JSON.stringify({ n: ++counter, event });
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": `d-${counter}`, "x-hub-signature-256": signGithub(h.secret, body) },
  });
  expect(res.status).toBe(200);
  return body;
}

type Ev = { id?: string; payload?: Uint8Array; deliveryAttempt?: number; eventType?: string; webhookId?: string };

function open(inst: WebhooksInstance, consumer: string, filter: { webhookIds?: string[]; eventTypes?: string[]; providers?: string[] } = {}) {
  const ac = new AbortController();
  const req = { consumer, webhookIds: filter.webhookIds ?? [], providers: filter.providers ?? [], eventTypes: filter.eventTypes ?? [] };
  const it = inst.service.streamEvents(req as never, inst.ctx(ac.signal))[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Ev>> | undefined;
  return {
    /** The next event, or undefined when none arrives within `ms`. */
    async next(ms = 3000): Promise<Ev | undefined> {
      pending ??= it.next() as Promise<IteratorResult<Ev>>;
      const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms));
      const res = await Promise.race([pending, timeout]);
      if (res === "timeout") return undefined;
      pending = undefined;
      return res.done ? undefined : res.value;
    },
    async take(n: number, ms = 3000): Promise<Ev[]> {
      const out: Ev[] = [];
      for (let i = 0; i < n; i++) {
        const e = await this.next(ms);
        if (!e) break;
        out.push(e);
      }
      return out;
    },
    close: () => ac.abort(),
  };
}

const text = (e: Ev | undefined) => (e?.payload ? Buffer.from(e.payload).toString() : undefined);
const ack = (inst: WebhooksInstance, consumer: string, ids: string[]) => inst.service.ackEvents({ consumer, eventIds: ids } as never, inst.ctx());

describe("webhook event streams", () => {
  it("delivers stored events oldest first, then new ones live", async () => {
    const h = await hook();
    const sent = [await send(h), await send(h), await send(h)];
    const s = open(a, "oldest-first", { webhookIds: [h.id] });
    try {
      expect((await s.take(3)).map(text)).toEqual(sent);
      const live = await send(h);
      expect(text(await s.next())).toBe(live);
    } finally {
      s.close();
    }
  });

  it("redelivers unacked events after the ack timeout, never acked ones, and resumes after a reconnect", async () => {
    const h = await hook();
    const [b1, b2] = [await send(h), await send(h)];
    const s = open(a, "redeliver", { webhookIds: [h.id] });
    const [e1, e2] = await s.take(2);
    expect([text(e1), text(e2)]).toEqual([b1, b2]);
    expect(e1!.deliveryAttempt).toBe(1);
    await ack(a, "redeliver", [e1!.id!]);
    const again = await s.next(ACK_TIMEOUT_MS * 5);
    expect(again).toMatchObject({ id: e2!.id, deliveryAttempt: 2 });
    s.close();

    const resumed = open(a, "redeliver", { webhookIds: [h.id] });
    try {
      const third = await resumed.next(ACK_TIMEOUT_MS * 5);
      expect(third).toMatchObject({ id: e2!.id, deliveryAttempt: 3 });
      await ack(a, "redeliver", [e2!.id!]);
      expect(await resumed.next(ACK_TIMEOUT_MS * 3)).toBeUndefined();
      const b3 = await send(h);
      expect(text(await resumed.next())).toBe(b3);
    } finally {
      resumed.close();
    }
  });

  it("wakes a consumer on replica B for an event posted to replica A (LISTEN/NOTIFY)", async () => {
    const h = await hook();
    const s = open(b, "on-replica-b", { webhookIds: [h.id] });
    try {
      expect(await s.next(300)).toBeUndefined(); // stream is idle and listening
      const started = Date.now();
      const body = await send(h);
      expect(text(await s.next(5000))).toBe(body);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      s.close();
    }
  });

  it("loses nothing when the replica that answered 2xx dies right after", async () => {
    const h = await hook();
    const pool = db.connect(2);
    const doomed = await startWebhooksInstance({ sql: pool, secrets });
    const body = await send(h, "push", `${doomed.url}/webhooks/github/${h.id}`);
    await doomed.close();
    await pool.end({ timeout: 0 });
    const s = open(b, "after-crash", { webhookIds: [h.id] });
    try {
      expect(text(await s.next())).toBe(body);
    } finally {
      s.close();
    }
  });

  it("never hands one event to two streams of the same consumer at once", async () => {
    const h = await hook();
    for (let i = 0; i < 10; i++) await send(h);
    const s1 = open(a, "competing", { webhookIds: [h.id] });
    const s2 = open(b, "competing", { webhookIds: [h.id] });
    try {
      // Each stream acks what it gets, as a consumer would; neither may see what the other holds.
      const drain = async (st: ReturnType<typeof open>, inst: WebhooksInstance) => {
        const got: string[] = [];
        for (let e = await st.next(300); e; e = await st.next(300)) {
          got.push(e.id!);
          await ack(inst, "competing", [e.id!]);
        }
        return got;
      };
      const [x, y] = await Promise.all([drain(s1, a), drain(s2, b)]);
      const ids = [...x, ...y];
      expect(ids).toHaveLength(10);
      expect(new Set(ids).size).toBe(10);
    } finally {
      s1.close();
      s2.close();
    }
  });

  it("filters by event type", async () => {
    const h = await hook();
    await send(h, "push");
    const wanted = await send(h, "issues");
    const s = open(a, "issues-only", { webhookIds: [h.id], eventTypes: ["issues"] });
    try {
      const got = await s.take(2, ACK_TIMEOUT_MS / 2);
      expect(got.map(text)).toEqual([wanted]);
    } finally {
      s.close();
    }
  });

  it("accepts acks from a consumer that never streamed, and then never streams those events to it", async () => {
    const h = await hook();
    await send(h);
    const [ev] = (await a.service.listEvents({ userId: "alice", webhookId: h.id, pageSize: 1, pageToken: "" } as never, a.ctx())).events!;
    await ack(a, "ack-first", [ev!.id!, crypto.randomUUID()]);
    const s = open(a, "ack-first", { webhookIds: [h.id] });
    try {
      expect(await s.next(300)).toBeUndefined();
    } finally {
      s.close();
    }
  });

  it("rejects bad consumer names and event ids", async () => {
    await expect(ack(a, "bad name!", [])).rejects.toBeInstanceOf(InvalidArgument);
    await expect(ack(a, "ok", ["nope"])).rejects.toBeInstanceOf(InvalidArgument);
    const s = open(a, "");
    await expect(s.next()).rejects.toBeInstanceOf(InvalidArgument);
  });

  it("pages a webhook's events newest first, and hides them from other users", async () => {
    const h = await hook("dave");
    const sent = [await send(h), await send(h), await send(h)];
    const list = (pageToken: string) => a.service.listEvents({ userId: "dave", webhookId: h.id, pageSize: 2, pageToken } as never, a.ctx());
    const p1 = await list("");
    expect(p1.events!.map(text)).toEqual([sent[2], sent[1]]);
    const p2 = await list(p1.nextPageToken!);
    expect(p2.events!.map(text)).toEqual([sent[0]]);
    expect(p2.nextPageToken).toBe("");
    await expect(a.service.listEvents({ userId: "eve", webhookId: h.id, pageSize: 0, pageToken: "" } as never, a.ctx())).rejects.toBeInstanceOf(NotFound);
  });

  it("refuses a ListEvents page token beyond the bigint range as an invalid page_token", async () => {
    const h = await hook("dave");
    await send(h);
    const list = (seq: string) =>
      a.service.listEvents({ userId: "dave", webhookId: h.id, pageSize: 1, pageToken: encodePageToken({ seq }) } as never, a.ctx());
    await expect(list("9999999999999999999")).rejects.toMatchObject({ constructor: InvalidArgument, field: "page_token" });
    await expect(list("9223372036854775808")).rejects.toMatchObject({ field: "page_token" });
    expect((await list("9223372036854775807")).events).toHaveLength(1);
  });

  it("ends a ListEvents page before its payloads pass the byte cap, still with at least one event", async () => {
    const h = await hook("dave");
    const sent = [await send(h), await send(h), await send(h)];
    const newestFirst = [sent[2]!, sent[1]!, sent[0]!];
    const pages = async (listPageMaxBytes: number) => {
      const service = createWebhooksService({ ...a.module.serviceDeps, listPageMaxBytes });
      const out: string[][] = [];
      let pageToken = "";
      do {
        const res = await service.listEvents({ userId: "dave", webhookId: h.id, pageSize: 10, pageToken } as never, a.ctx());
        out.push(res.events!.map((e) => text(e)!));
        pageToken = res.nextPageToken!;
      } while (pageToken);
      return out;
    };
    const size = (b: string) => Buffer.byteLength(b);
    expect(await pages(size(newestFirst[0]!) + size(newestFirst[1]!))).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2)]);
    expect(await pages(1)).toEqual(newestFirst.map((b) => [b]));
    expect(await pages(1024 * 1024)).toEqual([newestFirst]);
  });

  it("prunes events past retention together with their delivery state", async () => {
    const h = await hook();
    await send(h);
    const s = open(a, "pruned", { webhookIds: [h.id] });
    await s.take(1);
    s.close();
    const m = startWebhookMaintenance({
      events: createWebhookEventsRepo(db.sql),
      retentionMs: 60_000,
      intervalMs: 3_600_000,
      now: () => Date.now() + 120_000,
      logger: a.logger,
    });
    try {
      expect(await m.runOnce()).toBeGreaterThan(0);
    } finally {
      await m.stop();
    }
    const [r] = await db.sql<{ e: number; d: number }[]>`
      select (select count(*)::int from webhook_events where webhook_id = ${h.id}) as e,
             (select count(*)::int from webhook_deliveries where consumer = 'pruned') as d`;
    expect(r).toEqual({ e: 0, d: 0 });
  });

  it("an idle stream whose filter excludes an overdue unacked event sleeps instead of spinning", async () => {
    const [excluded, watched] = [await hook(), await hook()];
    await send(excluded);
    // The consumer holds an unacked delivery of `excluded` whose redelivery deadline is long past.
    await db.sql`insert into webhook_consumers (name, created_at, last_seen_at) values ('idle-filtered', now(), now())`;
    await db.sql`
      insert into webhook_deliveries (consumer, event_id, attempts, next_attempt_at)
      select 'idle-filtered', id, 1, now() - interval '1 minute' from webhook_events where webhook_id = ${excluded.id}`;
    const deliveries = createWebhookDeliveriesRepo(db.sql);
    let claims = 0;
    const events = createWebhookEvents({
      webhooks: createWebhooksRepo(db.sql),
      events: createWebhookEventsRepo(db.sql),
      deliveries: { ...deliveries, claim: (...args) => (claims++, deliveries.claim(...args)) },
      notifier: { subscribe: async () => () => {} },
      ackTimeoutMs: ACK_TIMEOUT_MS,
      pollMs: 1000,
    });
    const ac = new AbortController();
    const first = events.stream("idle-filtered", { webhookIds: [watched.id], providers: [], eventTypes: [] }, ac.signal).next();
    await new Promise((r) => setTimeout(r, 1000));
    ac.abort();
    expect((await first).done).toBe(true);
    expect(claims).toBeLessThan(20);
  });
});
