/**
 * The real process, as `npm start` runs it: dev mode with nothing configured (embedded Postgres,
 * loopback, a printed operator token), refusal to listen beyond loopback without callers, and a
 * SIGTERM that drains an open stream and exits 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { WebhooksService } from "../../src/gen/latchkey/v1/webhooks_pb.js";
import { freePort } from "../../src/lib/free-port.js";
import { CALLERS, TOKENS } from "../support/callers.js";
import { bearer, grpcClient, unary } from "../support/grpc-client.js";
import { createTestDb, type TestDb } from "../support/postgres.js";
import { webhookScheme } from "../../src/providers/webhook-schemes/index.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const children: ChildProcess[] = [];
let db: TestDb | undefined;

/** The test schema as a DATABASE_URL (postgres.js passes search_path through as a startup parameter). */
async function schemaUrl(): Promise<string> {
  db ??= await createTestDb();
  const url = new URL(db.url);
  url.searchParams.set("search_path", db.schema);
  return url.toString();
}
const dirs: string[] = [];

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string | undefined>): Started {
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (/^(DATABASE_URL|VAULT_|LATCHKEY_|GRPC_|HTTP_)/.test(k)) delete clean[k];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env: { ...clean, LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(s: Started, pattern: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const m = s.output().match(pattern);
    if (m) return m;
    if (s.child.exitCode !== null) throw new Error(`process exited ${s.child.exitCode}:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern}:\n${s.output()}`);
}

async function ports() {
  return { GRPC_PORT: String(await freePort()), HTTP_INTERNAL_PORT: String(await freePort()), HTTP_PUBLIC_PORT: String(await freePort()) };
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await db?.drop();
});

describe("the latchkey process", () => {
  it("starts in dev mode with nothing configured: embedded Postgres, loopback only, a printed operator token that works", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "latchkey-dev-"));
    dirs.push(dataDir);
    const p = await ports();
    const s = start({ LATCHKEY_DATA_DIR: dataDir, ...p });
    const [, token] = await waitFor(s, /operator token (lk_dev_[A-Za-z0-9_-]+)/, 90_000);
    await waitFor(s, /latchkey listening/);
    expect(s.output()).toMatch(/"grpc":"127\.0\.0\.1:/);
    const client = grpcClient(CredentialsService, `127.0.0.1:${p.GRPC_PORT}`);
    const created = await unary(client, "createApiKeyCredential", { userId: "dev", provider: "openai", apiKey: "sk-dev-canary" }, bearer(token!));
    expect(created.err).toBeNull();
    const got = await unary(client, "getAccessToken", { userId: "dev", credentialId: created.res.credential.id }, bearer(token!));
    expect(got.res.accessToken).toBe("sk-dev-canary");
    client.close();
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    expect(s.output()).not.toContain("sk-dev-canary");
  }, 120_000);

  it("refuses to listen beyond loopback when no callers are configured", async () => {
    const s = start({ DATABASE_URL: await schemaUrl(), LATCHKEY_HOST: "0.0.0.0", ...(await ports()) });
    expect(await s.exited).toBe(1);
    expect(s.output()).toMatch(/refusing to listen on 0\.0\.0\.0 with no callers configured/);
  });

  it("drains on SIGTERM: an open event stream ends cleanly and the process exits 0", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "latchkey-term-"));
    dirs.push(dataDir);
    const p = await ports();
    const s = start({
      DATABASE_URL: await schemaUrl(),
      LATCHKEY_CALLERS: JSON.stringify(CALLERS),
      LATCHKEY_HOST: "127.0.0.1",
      LATCHKEY_DATA_DIR: dataDir,
      SHUTDOWN_DRAIN_TIMEOUT_MS: "3000",
      ...p,
    });
    await waitFor(s, /latchkey listening/);
    const client = grpcClient(WebhooksService, `127.0.0.1:${p.GRPC_PORT}`);
    const stream = client.streamEvents!({ consumer: "term-test" }, bearer(TOKENS.consumer)) as ClientReadableStream<unknown>;
    const ended = new Promise<number>((resolve) => stream.on("status", (st: { code: number }) => resolve(st.code)));
    stream.on("error", () => {});
    stream.on("data", () => {});
    await new Promise((r) => setTimeout(r, 300));
    s.child.kill("SIGTERM");
    expect(await ended).toBe(status.OK);
    expect(await s.exited).toBe(0);
    expect(s.output()).toMatch(/draining/);
    client.close();
  }, 60_000);

  it("loses nothing when killed right after answering 2xx to a webhook delivery", async () => {
    const p = await ports();
    const s = start({ DATABASE_URL: await schemaUrl(), LATCHKEY_CALLERS: JSON.stringify(CALLERS), LATCHKEY_HOST: "127.0.0.1", ...p });
    await waitFor(s, /latchkey listening/);
    const client = grpcClient(WebhooksService, `127.0.0.1:${p.GRPC_PORT}`);
    const created = await unary(client, "createWebhook", { userId: "u-kill", provider: "github", resource: "o/r", secret: "kill-secret" }, bearer(TOKENS.backend));
    client.close();
    expect(created.err).toBeNull();
    const body = JSON.stringify({ zen: "Keep it logically awesome.", n: Math.random() });
    const headers = webhookScheme("github")!.sign!({ secret: "kill-secret", body, now: Date.now(), deliveryId: crypto.randomUUID() });
    const res = await fetch(`http://127.0.0.1:${p.HTTP_PUBLIC_PORT}/webhooks/github/${created.res.webhook.id}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "x-github-event": "ping" },
      body,
    });
    s.child.kill("SIGKILL");
    expect(res.status).toBeLessThan(300);
    await s.exited;
    const rows = await db!.sql`select convert_from(payload, 'UTF8') as body from webhook_events where webhook_id = ${created.res.webhook.id}`;
    expect(rows.map((r) => r.body)).toEqual([body]);
  }, 60_000);
});
