/**
 * Several replicas of the whole service on one Postgres schema, on loopback: migrations racing at
 * start, one refresh for a stampede spread over three replicas, a webhook posted to one replica
 * streamed from another, and a consumer's cursor surviving the replica it was reading from.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { WebhooksService } from "../../src/gen/latchkey/v1/webhooks_pb.js";
import { webhookScheme } from "../../src/providers/webhook-schemes/index.js";
import { createLocalKeyring } from "../../src/secrets/local-keyring.js";
import { rowContext } from "../../src/secrets/secret-store.js";
import { createCredentialsRepo } from "../../src/storage/credentials-repo.js";
import { loadMigrations } from "../../src/storage/migrate.js";
import { startTestApp, TOKENS, type TestApp } from "../support/harness.js";
import { createTestDb, type TestDb } from "../support/postgres.js";
import { bearer, grpcClient, unary } from "../support/grpc-client.js";

let db: TestDb;
let keyringDir: string;
let replicas: TestApp[] = [];
let tokenServer: Server;
let refreshCalls = 0;
const spentRefreshTokens = new Set<string>();

/** A token endpoint that rotates refresh tokens, refuses reuse, and is slow enough to invite races. */
function startTokenEndpoint(): Promise<string> {
  tokenServer = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const form = new URLSearchParams(body);
      if (form.get("grant_type") !== "refresh_token") return void res.writeHead(400).end();
      refreshCalls++;
      const rt = form.get("refresh_token")!;
      if (spentRefreshTokens.has(rt)) {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "invalid_grant" }));
        return;
      }
      spentRefreshTokens.add(rt);
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({ access_token: `at-${refreshCalls}`, refresh_token: `rt-${refreshCalls}`, expires_in: 3600, token_type: "bearer" }),
        );
      }, 150);
    });
  });
  return new Promise((resolve) => tokenServer.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(tokenServer.address() as { port: number }).port}`)));
}

beforeAll(async () => {
  const tokenUrl = await startTokenEndpoint();
  keyringDir = await mkdtemp(path.join(tmpdir(), "latchkey-replicas-"));
  const providersFile = path.join(keyringDir, "providers.yaml");
  await writeFile(
    providersFile,
    `providers:
  - name: acme
    display_name: Acme
    category: testing
    auth_types: [oauth2]
    oauth:
      authorize_url: ${tokenUrl}/authorize
      token_url: ${tokenUrl}/token
      default_scopes: [read]
      refresh: true
      rotates_refresh_token: true
    client_id: acme-client
    client_secret: acme-secret
`,
  );
  db = await createTestDb({ migrate: false });
  const env = { LATCHKEY_PROVIDERS_FILE: providersFile, LATCHKEY_WEBHOOK_ACK_TIMEOUT_SECONDS: "2" };
  // All three start at once on an empty schema: the migrations race, under the advisory lock.
  replicas = await Promise.all([0, 1, 2].map(() => startTestApp({ db, keyringDir, env })));
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop().catch(() => {})));
  tokenServer?.close();
  await db?.drop();
});

describe("three replicas on one Postgres", () => {
  it("apply each migration exactly once when they start together", async () => {
    const rows = await db.sql`select version from schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual((await loadMigrations()).map((m) => m.version));
  });

  it("make one refresh at the provider for 300 concurrent GetAccessToken calls on an expired token, and all get the new token", async () => {
    const keyring = await createLocalKeyring({ file: path.join(keyringDir, "keyring.json") });
    const id = crypto.randomUUID();
    const ctx = rowContext("credential", "u-stampede", id);
    await createCredentialsRepo(db.sql).insert({
      id,
      userId: "u-stampede",
      provider: "acme",
      kind: "oauth2",
      title: "acme",
      scopes: ["read"],
      username: "someone",
      metadata: {},
      secretCiphertext: await keyring.encrypt(Buffer.from("at-expired"), ctx),
      refreshTokenCiphertext: await keyring.encrypt(Buffer.from("rt-0"), rowContext("credential", "u-stampede", id, "refresh_token")),
      accessTokenExpiresAt: new Date(Date.now() - 1000),
      tokenType: "Bearer",
    });
    const clients = replicas.map((r) => grpcClient(CredentialsService, r.grpcAddress));
    refreshCalls = 0;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        unary(clients[i % 3]!, "getAccessToken", { userId: "u-stampede", credentialId: id }, bearer(TOKENS.executor)),
      ),
    );
    clients.forEach((c) => c.close());
    expect(results.filter((r) => r.err).map((r) => r.err!.details)).toEqual([]);
    expect(refreshCalls).toBe(1);
    expect(new Set(results.map((r) => r.res.accessToken))).toEqual(new Set(["at-1"]));
    const audits = await db.sql`select count(*)::int as n from access_audit where credential_id = ${id}`;
    expect(audits[0]!.n).toBe(300);
  });

  it("stream a webhook posted to one replica to a consumer on another, and keep the consumer's cursor when that replica dies", async () => {
    const [a, b, c] = replicas as [TestApp, TestApp, TestApp];
    const hooksA = grpcClient(WebhooksService, a.grpcAddress);
    const created = await unary(hooksA, "createWebhook", { userId: "u-hooks", provider: "github", resource: "o/r", events: ["push"], secret: "gh-secret" }, bearer(TOKENS.backend));
    expect(created.err).toBeNull();
    const webhookId: string = created.res.webhook.id;
    const post = async (n: number) => {
      const body = JSON.stringify({ ref: "refs/heads/main", n });
      const headers = webhookScheme("github")!.sign!({ secret: "gh-secret", body, now: Date.now(), deliveryId: crypto.randomUUID() });
      const res = await fetch(`${a.publicUrl}/webhooks/github/${webhookId}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "x-github-event": "push" },
        body,
      });
      expect(res.status).toBeLessThan(300);
    };

    // The consumer reads from replica B; the events arrive at replica A.
    const hooksB = grpcClient(WebhooksService, b.grpcAddress);
    const streamB = hooksB.streamEvents!({ consumer: "billing", webhookIds: [webhookId] }, bearer(TOKENS.consumer)) as ClientReadableStream<{ id: string; payload: Uint8Array }>;
    const firstOnB = new Promise<{ id: string; payload: Uint8Array }>((resolve) => streamB.once("data", resolve));
    streamB.on("error", () => {});
    await post(1);
    const first = await firstOnB;
    expect(JSON.parse(Buffer.from(first.payload).toString()).n).toBe(1);
    expect((await unary(hooksB, "ackEvents", { consumer: "billing", eventIds: [first.id] }, bearer(TOKENS.consumer))).err).toBeNull();

    // An event arrives and goes out on B's stream, unacked; then B dies. The consumer resumes on C,
    // which redelivers the unacked event once its ack timeout (2 s here) has passed, never the acked one.
    await post(2);
    await b.stop();
    hooksB.close();
    const hooksC = grpcClient(WebhooksService, c.grpcAddress);
    const streamC = hooksC.streamEvents!({ consumer: "billing", webhookIds: [webhookId] }, bearer(TOKENS.consumer)) as ClientReadableStream<{ id: string; payload: Uint8Array }>;
    streamC.on("error", () => {});
    const next = await new Promise<{ id: string; payload: Uint8Array }>((resolve) => streamC.once("data", resolve));
    expect(next.id).not.toBe(first.id);
    expect(JSON.parse(Buffer.from(next.payload).toString()).n).toBe(2);
    streamC.cancel();
    hooksA.close();
    hooksC.close();
  });
});
