/**
 * When Postgres or Vault cannot be reached, calls answer UNAVAILABLE (safe to retry) and /readyz
 * says which dependency is down; when they come back, service resumes without a restart.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { startTestApp, TOKENS, type TestApp } from "../support/harness.js";
import { createTestDb, type TestDb } from "../support/postgres.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { startTransitServer, type TransitServer } from "../support/vault-transit-server.js";
import { bearer, grpcClient, unary } from "../support/grpc-client.js";

let db: TestDb;
let proxy: TcpProxy;
let vault: TransitServer;
let app: TestApp;
let client: ReturnType<typeof grpcClient>;
const backend = () => bearer(TOKENS.backend);

beforeAll(async () => {
  db = await createTestDb();
  const url = new URL(db.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  vault = await startTransitServer();
  app = await startTestApp({
    db: { ...db, url: url.toString() },
    env: { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.rootToken, TOKEN_CACHE_TTL_MS: "0", LATCHKEY_PROVIDER_TIMEOUT_MS: "2000" },
  });
  client = grpcClient(CredentialsService, app.grpcAddress);
});

afterAll(async () => {
  client?.close();
  await app?.stop();
  await vault?.stop();
  await proxy?.close();
  await db?.drop();
});

async function create(userId: string) {
  return unary(client, "createApiKeyCredential", { userId, provider: "openai", apiKey: "sk-dep-canary" }, backend());
}

describe("dependencies down", () => {
  it("Postgres unreachable: UNAVAILABLE and /readyz 503 naming postgres; back when it returns", async () => {
    const ok = await create("u-pg");
    expect(ok.err).toBeNull();
    proxy.cut();
    try {
      const down = await unary(client, "getAccessToken", { userId: "u-pg", credentialId: ok.res.credential.id }, bearer(TOKENS.executor));
      expect(down.err?.code).toBe(status.UNAVAILABLE);
      expect(down.err?.details).toMatch(/postgres/);
      const ready = await fetch(`${app.internalUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/postgres/);
    } finally {
      proxy.restore();
    }
    const again = await unary(client, "getAccessToken", { userId: "u-pg", credentialId: ok.res.credential.id }, bearer(TOKENS.executor));
    expect(again.err).toBeNull();
    expect(again.res.accessToken).toBe("sk-dep-canary");
  });

  it("Vault unreachable: UNAVAILABLE and /readyz 503 naming the secret store; nothing half-stored", async () => {
    const before = await db.sql`select count(*)::int as n from credentials`;
    vault.seal();
    try {
      const down = await create("u-vault");
      expect(down.err?.code).toBe(status.UNAVAILABLE);
      expect(down.err?.details).toMatch(/vault/);
      expect(down.err?.details).not.toContain("sk-dep-canary");
      const ready = await fetch(`${app.internalUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/secrets/);
      const after = await db.sql`select count(*)::int as n from credentials`;
      expect(after[0]!.n).toBe(before[0]!.n);
    } finally {
      vault.unseal();
    }
    expect((await create("u-vault")).err).toBeNull();
  });
});
