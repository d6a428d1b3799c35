/**
 * Webhook ingress through real HTTP on loopback, real Postgres, the real local keyring:
 * verification per scheme, handshakes, 401/404/413/400/503, dedupe (also under concurrency),
 * secret rotation, and secrets absent from rows and logs.
 */
import { generateKeyPairSync } from "node:crypto";
import { request } from "node:http";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sign as octokitSign } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalKeyring } from "../../src/secrets/local-keyring.js";
import type { SecretStore } from "../../src/secrets/secret-store.js";
import { connect } from "../../src/storage/db.js";
import { discordPublicKeyHex, signDiscord } from "../../src/providers/webhook-schemes/discord.js";
import { signGithub } from "../../src/providers/webhook-schemes/github.js";
import { signSlack } from "../../src/providers/webhook-schemes/slack.js";
import { signStripe } from "../../src/providers/webhook-schemes/stripe.js";
import { createTestDb, type TestDb } from "../support/postgres.js";
import { startWebhooksInstance, type WebhooksInstance } from "../support/webhooks-instance.js";

let db: TestDb;
let secrets: SecretStore;
let lk: WebhooksInstance;
let clock = Date.now();
const MAX = 64 * 1024;

beforeAll(async () => {
  db = await createTestDb();
  secrets = await createLocalKeyring({ file: path.join(await mkdtemp(path.join(tmpdir(), "lk-wh-")), "keyring.json") });
  lk = await startWebhooksInstance({ sql: db.sql, secrets, config: { maxBodyBytes: MAX }, now: () => clock });
});
afterAll(async () => {
  await lk?.close();
  await db?.drop();
});

async function create(userId: string, provider: string, secret = "") {
  const res = await lk.service.createWebhook({ userId, provider, resource: "", events: [], credentialId: "", secret } as never, lk.ctx());
  const w = res.webhook!;
  return { webhook: { id: w.id!, ingressUrl: w.ingressUrl! }, signingSecret: res.signingSecret ?? "" };
}

function post(url: string, body: string | Buffer, headers: Record<string, string>) {
  return fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

async function countEvents(webhookId: string): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from webhook_events where webhook_id = ${webhookId}`;
  return r!.n;
}

describe("webhook ingress", () => {
  it("stores a GitHub delivery signed by @octokit/webhooks-methods, byte for byte, once per delivery", async () => {
    const { webhook, signingSecret } = await create("alice", "github");
    expect(signingSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(webhook.ingressUrl).toBe(`${lk.url}/webhooks/github/${webhook.id}`);
    const body = '{"action":"opened",  "number": 1}';
    const headers = { "x-hub-signature-256": await octokitSign(signingSecret, body), "x-github-event": "issues", "x-github-delivery": "d-1" };
    const res = await post(webhook.ingressUrl, body, headers);
    expect(res.status).toBe(200);
    expect((await post(webhook.ingressUrl, body, headers)).status).toBe(200);
    // A captured delivery replayed with a fresh (unsigned) delivery id is still one event.
    expect((await post(webhook.ingressUrl, body, { ...headers, "x-github-delivery": "d-2" })).status).toBe(200);
    const list = await lk.service.listEvents({ userId: "alice", webhookId: webhook.id, pageSize: 0, pageToken: "" } as never, lk.ctx());
    expect(list.events).toHaveLength(1);
    expect(Buffer.from(list.events![0]!.payload!).toString()).toBe(body);
    expect(list.events![0]).toMatchObject({ eventType: "issues", deliveryId: "d-1", provider: "github", userId: "alice", contentType: "application/json" });
  });

  it("turns 20 concurrent identical deliveries into one event, answering 2xx to all", async () => {
    const { webhook, signingSecret } = await create("alice", "github");
    const body = '{"zen":"concurrency"}';
    const headers = { "x-hub-signature-256": signGithub(signingSecret, body), "x-github-delivery": "same" };
    const statuses = await Promise.all(Array.from({ length: 20 }, () => post(webhook.ingressUrl, body, headers).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await countEvents(webhook.id)).toBe(1);
  });

  it("answers 401 to forged, wrong-secret, prefix-only and one-byte-changed deliveries and stores nothing", async () => {
    const { webhook, signingSecret } = await create("alice", "github");
    const body = '{"a":1}';
    for (const sig of ["", "sha256=", "sha256=garbage", signGithub("wrong", body), signGithub(signingSecret, '{"a":2}')]) {
      expect((await post(webhook.ingressUrl, body, sig ? { "x-hub-signature-256": sig } : {})).status).toBe(401);
    }
    expect(await countEvents(webhook.id)).toBe(0);
  });

  it("answers 404 alike for unknown ids, malformed ids and another provider's id", async () => {
    const { webhook, signingSecret } = await create("alice", "github");
    const body = "{}";
    const headers = { "x-hub-signature-256": signGithub(signingSecret, body) };
    const answers = await Promise.all(
      [`/webhooks/github/${crypto.randomUUID()}`, "/webhooks/github/not-a-uuid", `/webhooks/slack/${webhook.id}`].map(async (p) => {
        const r = await post(lk.url + p, body, headers);
        return [r.status, await r.text()];
      }),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]![0]).toBe(404);
  });

  it("refuses a delivery signed with another tenant's secret", async () => {
    const a = await create("alice", "github");
    const b = await create("bob", "github");
    const body = '{"x":1}';
    expect((await post(b.webhook.ingressUrl, body, { "x-hub-signature-256": signGithub(a.signingSecret, body) })).status).toBe(401);
  });

  it("answers Slack url_verification with the challenge and refuses stale Slack timestamps", async () => {
    const secret = "0123456789abcdef0123456789abcdef";
    const { webhook, signingSecret } = await create("alice", "slack", secret);
    expect(signingSecret).toBe("");
    const body = JSON.stringify({ token: "t", challenge: "chal-123", type: "url_verification" });
    const ok = await post(webhook.ingressUrl, body, signSlack(secret, body, Math.floor(clock / 1000)));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ challenge: "chal-123" });
    const stale = await post(webhook.ingressUrl, body, signSlack(secret, body, Math.floor(clock / 1000) - 301));
    expect(stale.status).toBe(401);
    expect(await countEvents(webhook.id)).toBe(0);
  });

  it('answers Discord PING with {"type":1} and a bad Discord signature with exactly 401', async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const { webhook } = await create("alice", "discord", discordPublicKeyHex(publicKey));
    const ping = '{"id":"1","type":1,"application_id":"9"}';
    const ts = Math.floor(clock / 1000);
    const res = await post(webhook.ingressUrl, ping, signDiscord(privateKey, ping, ts));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"type":1}');
    const bad = await post(webhook.ingressUrl, ping, { ...signDiscord(privateKey, ping, ts), "x-signature-ed25519": "00".repeat(64) });
    expect(bad.status).toBe(401);
  });

  it("stores Standard Webhooks deliveries signed by the standardwebhooks library", async () => {
    const { webhook, signingSecret } = await create("alice", "replicate");
    expect(signingSecret).toMatch(/^whsec_/);
    const body = '{"type":"prediction.completed","data":{}}';
    const headers = {
      "webhook-id": "msg_abc",
      "webhook-timestamp": String(Math.floor(clock / 1000)),
      "webhook-signature": new StandardWebhook(signingSecret).sign("msg_abc", new Date(clock), body),
    };
    expect((await post(webhook.ingressUrl, body, headers)).status).toBe(200);
    expect(await countEvents(webhook.id)).toBe(1);
  });

  it("answers 400, not 500, to truncated JSON with a valid signature", async () => {
    const { webhook, signingSecret } = await create("alice", "github");
    const body = '{"action":"ope';
    expect((await post(webhook.ingressUrl, body, { "x-hub-signature-256": signGithub(signingSecret, body) })).status).toBe(400);
    const secret = "whsec_abcdefghijklmnop";
    const st = await create("alice", "stripe", secret);
    expect((await post(st.webhook.ingressUrl, body, { "stripe-signature": signStripe([secret], body, Math.floor(clock / 1000)) })).status).toBe(400);
  });

  it("answers 413 to a declared oversized body without reading it, and accepts exactly the limit", async () => {
    const { webhook, signingSecret } = await create("alice", "github");
    const big = Buffer.alloc(MAX + 1, 0x20);
    expect((await post(webhook.ingressUrl, big, { "x-hub-signature-256": signGithub(signingSecret, big) })).status).toBe(413);
    const exact = Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(MAX - 8, 0x61), Buffer.from('"}')]);
    expect(exact.length).toBe(MAX);
    expect((await post(webhook.ingressUrl, exact, { "x-hub-signature-256": signGithub(signingSecret, exact) })).status).toBe(200);
  });

  it("answers 413 to a chunked body without Content-Length that passes the limit", async () => {
    const { webhook } = await create("alice", "github");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(webhook.ingressUrl, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": "sha256=" + "0".repeat(64) } });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * MAX) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it("verifies with the old and the new secret during a rotation's grace period, then only the new", async () => {
    const { webhook, signingSecret: old } = await create("alice", "github");
    const rotated = await lk.service.rotateWebhookSecret({ userId: "alice", webhookId: webhook.id, secret: "", gracePeriodSeconds: 60 } as never, lk.ctx());
    const fresh = rotated.signingSecret!;
    expect(fresh).not.toBe(old);
    const send = (secret: string, n: number) => post(webhook.ingressUrl, `{"n":${n}}`, { "x-hub-signature-256": signGithub(secret, `{"n":${n}}`) });
    expect((await send(old, 1)).status).toBe(200);
    expect((await send(fresh, 2)).status).toBe(200);
    clock += 61_000;
    try {
      expect((await send(old, 3)).status).toBe(401);
      expect((await send(fresh, 4)).status).toBe(200);
    } finally {
      clock -= 61_000;
    }
  });

  it("checks a remembered webhook record against Postgres before storing", async () => {
    const { webhook, signingSecret: old } = await create("alice", "github");
    const send = (secret: string, n: number) => post(webhook.ingressUrl, `{"n":${n}}`, { "x-hub-signature-256": signGithub(secret, `{"n":${n}}`) });
    expect((await send(old, 1)).status).toBe(200); // the record is now remembered, at version 1

    // Rotated without telling this inbox (as on another replica): the new secret verifies at once.
    const rotated = await lk.service.rotateWebhookSecret({ userId: "alice", webhookId: webhook.id, secret: "", gracePeriodSeconds: 60 } as never, lk.ctx());
    expect((await send(rotated.signingSecret!, 2)).status).toBe(200);

    // The old secret's grace ends in Postgres while this inbox still holds a record it verifies
    // against: the insert finds the record moved on, and the fresh record refuses the signature.
    expect((await send(old, 3)).status).toBe(200);
    // (The inbox's clock is this file's `clock`, not Postgres's.)
    await db.sql`update webhooks set previous_secret_expires_at = ${new Date(clock - 1000)}, version = version + 1 where id = ${webhook.id}`;
    expect((await send(old, 4)).status).toBe(401);
    expect(await countEvents(webhook.id)).toBe(3);

    // Deleted elsewhere: the remembered record does not let a delivery in.
    await lk.service.deleteWebhook({ userId: "alice", webhookId: webhook.id } as never, lk.ctx());
    expect((await send(rotated.signingSecret!, 5)).status).toBe(404);
    expect(await countEvents(webhook.id)).toBe(3);
  });

  it("fails closed when the stored record names an unknown scheme", async () => {
    const { webhook, signingSecret } = await create("alice", "github");
    await db.sql`update webhooks set scheme = 'no-such-scheme', version = version + 1 where id = ${webhook.id}`;
    const body = "{}";
    expect((await post(webhook.ingressUrl, body, { "x-hub-signature-256": signGithub(signingSecret, body) })).status).toBe(401);
  });

  it("answers 503 and stores nothing when Postgres is unreachable", async () => {
    const { webhook, signingSecret } = await create("alice", "github");
    const down = connect({ url: "postgres://postgres@127.0.0.1:1/none", max: 1, connectTimeoutSeconds: 1 });
    const other = await startWebhooksInstance({ sql: down, secrets, now: () => clock });
    try {
      const body = '{"down":true}';
      const res = await post(`${other.url}/webhooks/github/${webhook.id}`, body, { "x-hub-signature-256": signGithub(signingSecret, body) });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(await countEvents(webhook.id)).toBe(0);
    } finally {
      await other.close();
      await down.end({ timeout: 0 });
    }
  });

  it("keeps signing secrets out of rows, responses and logs", async () => {
    const { webhook, signingSecret } = await create("carol", "github");
    const rows = await db.sql`select * from webhooks where id = ${webhook.id}`;
    expect(JSON.stringify(rows)).not.toContain(signingSecret);
    const got = await lk.service.getWebhook({ userId: "carol", webhookId: webhook.id } as never, lk.ctx());
    expect(JSON.stringify(got, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(signingSecret);
    expect(lk.logLines.join("\n")).not.toContain(signingSecret);
  });
});
