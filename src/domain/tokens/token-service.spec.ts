/**
 * The hand-out path on real Postgres and a real keyring: what is served, what is refused, what is
 * audited. The refresher is a port; here a small recording implementation stands in for the OAuth
 * module, which has its own tests.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../../test/support/postgres.js";
import { createBatcher } from "../../lib/batcher.js";
import { createLocalKeyring } from "../../secrets/local-keyring.js";
import { rowContext, type SecretStore } from "../../secrets/secret-store.js";
import { createCredentialsRepo, type CredentialsRepo } from "../../storage/credentials-repo.js";
import { auditHandouts, loadCredentials } from "../../storage/token-queries.js";
import type { CredentialRow } from "../credentials/credential.js";
import type { TokenRefresher } from "../credentials/ports.js";
import { createSecretCache } from "./secret-cache.js";
import { createTokenService, type TokenService } from "./token-service.js";

let tdb: TestDb;
let secrets: SecretStore;
let repo: CredentialsRepo;
const refreshes: string[] = [];

function service(sql = tdb.sql, refresher?: TokenRefresher): TokenService {
  return createTokenService({
    load: createBatcher(loadCredentials(sql)),
    gate: createBatcher(auditHandouts(sql)),
    secrets,
    cache: createSecretCache({ ttlMs: 60_000, maxEntries: 100 }),
    refresher: refresher ?? {
      async refresh(row) {
        refreshes.push(row.id);
        const fresh = await secrets.encrypt(Buffer.from(`refreshed-${row.version}`), rowContext("credential", row.userId, row.id));
        const next = await repo.replaceTokens(row.id, row.version, {
          secretCiphertext: fresh,
          accessTokenExpiresAt: new Date(Date.now() + 3600_000),
        });
        return next ?? (await repo.getById(row.id))!;
      },
    },
  });
}

async function store(userId: string, token: string, opts: Partial<CredentialRow> = {}): Promise<CredentialRow> {
  const id = crypto.randomUUID();
  return repo.insert({
    id,
    userId,
    provider: opts.provider ?? "openai",
    kind: opts.kind ?? "api_key",
    title: "t",
    scopes: [],
    username: "",
    metadata: {},
    secretCiphertext: await secrets.encrypt(Buffer.from(token), rowContext("credential", userId, id)),
    refreshTokenCiphertext: null,
    accessTokenExpiresAt: opts.accessTokenExpiresAt ?? null,
    tokenType: opts.kind === "oauth2" ? "Bearer" : "ApiKey",
  });
}

beforeAll(async () => {
  tdb = await createTestDb();
  secrets = await createLocalKeyring({ file: path.join(await mkdtemp(path.join(tmpdir(), "lk-")), "keyring.json") });
  repo = createCredentialsRepo(tdb.sql);
});
afterAll(() => tdb.drop());

describe("token hand-out", () => {
  it("serves the stored key and records the hand-out in the audit table, without the token", async () => {
    const row = await store("alice", "sk-live-secret-1");
    const t = await service().getAccessToken("exec-1", "alice", row.id, 60);
    expect(t).toMatchObject({ accessToken: "sk-live-secret-1", tokenType: "ApiKey", provider: "openai", credentialId: row.id });
    const audit = await tdb.sql`select * from access_audit where credential_id = ${row.id}`;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ caller: "exec-1", user_id: "alice" });
    expect(JSON.stringify(audit)).not.toContain("sk-live-secret-1");
  });

  it("works as the very first query of a fresh pool (array parameters before postgres.js knows array types)", async () => {
    const row = await store("ivy", "sk-ivy");
    const fresh = tdb.connect(1);
    const t = await service(fresh).getAccessToken("e", "ivy", row.id, 60);
    expect(t.accessToken).toBe("sk-ivy");
  });

  it("answers NOT_FOUND for another user's credential, exactly as for a missing one", async () => {
    const row = await store("alice", "sk-alice");
    const tokens = service();
    const foreign = await tokens.getAccessToken("e", "mallory", row.id, 60).catch((e) => e);
    const missing = await tokens.getAccessToken("e", "mallory", crypto.randomUUID(), 60).catch((e) => e);
    expect(foreign.code).toBe("not_found");
    expect(foreign.message).toBe(missing.message);
  });

  it("never serves a cached token after the credential is deleted through another replica", async () => {
    const row = await store("bob", "sk-bob");
    const a = service();
    await a.getAccessToken("e", "bob", row.id, 60);
    const replicaB = createCredentialsRepo(tdb.connect(2));
    await replicaB.delete("bob", row.id);
    await expect(a.getAccessToken("e", "bob", row.id, 60)).rejects.toMatchObject({ code: "not_found" });
  });

  it("serves the new token once another replica changed the secret, not the cached one", async () => {
    const row = await store("carol", "sk-old");
    const a = service();
    expect((await a.getAccessToken("e", "carol", row.id, 60)).accessToken).toBe("sk-old");
    const ct = await secrets.encrypt(Buffer.from("sk-new"), rowContext("credential", "carol", row.id));
    await createCredentialsRepo(tdb.connect(2)).replaceTokens(row.id, row.version, { secretCiphertext: ct, accessTokenExpiresAt: null });
    expect((await a.getAccessToken("e", "carol", row.id, 60)).accessToken).toBe("sk-new");
  });

  it("refreshes an OAuth token expiring within min_valid_seconds, once for concurrent callers of one replica's batch", async () => {
    refreshes.length = 0;
    const row = await store("dave", "at-old", { kind: "oauth2", provider: "github", accessTokenExpiresAt: new Date(Date.now() + 30_000) });
    const tokens = service();
    expect((await tokens.getAccessToken("e", "dave", row.id, 10)).accessToken).toBe("at-old");
    const t = await tokens.getAccessToken("e", "dave", row.id, 60);
    expect(t.accessToken).toBe("refreshed-1");
    expect(refreshes).toEqual([row.id]);
  });

  it("refuses with failed_precondition when even a refreshed token is shorter than min_valid_seconds", async () => {
    // The stand-in refresher issues one-hour tokens, as Google does; the caller asks for two hours.
    const row = await store("gina", "at-old", { kind: "oauth2", provider: "github", accessTokenExpiresAt: new Date(Date.now() + 30_000) });
    await expect(service().getAccessToken("e", "gina", row.id, 7200)).rejects.toMatchObject({ code: "failed_precondition" });
    const audit = await tdb.sql`select * from access_audit where credential_id = ${row.id}`;
    expect(audit).toHaveLength(0);
  });

  it("refuses a credential that needs re-authorization with needs_reauth", async () => {
    const row = await store("erin", "at", { kind: "oauth2", provider: "github" });
    await repo.setStatus(row.id, row.version, "needs_reauth");
    await expect(service().getAccessToken("e", "erin", row.id, 60)).rejects.toMatchObject({ code: "needs_reauth" });
  });

  it("a ciphertext moved to another row does not decrypt: the hand-out fails closed", async () => {
    const a = await store("frank", "sk-frank");
    const b = await store("frank", "sk-other");
    await tdb.sql`update credentials set secret_ciphertext = ${a.secretCiphertext} where id = ${b.id}`;
    const err = await service().getAccessToken("e", "frank", b.id, 60).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).not.toContain("sk-frank");
  });

  it("a refresh token swapped into the access-token column of its own row does not decrypt", async () => {
    const row = await store("hank", "at-hank", { kind: "oauth2", provider: "github" });
    const refreshCt = await secrets.encrypt(Buffer.from("rt-hank-canary"), rowContext("credential", "hank", row.id, "refresh_token"));
    await tdb.sql`update credentials set secret_ciphertext = ${refreshCt} where id = ${row.id}`;
    const err = await service().getAccessToken("e", "hank", row.id, 60).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(JSON.stringify(err)).not.toContain("rt-hank-canary");
  });

  it("keeps secrets out of every stored row", async () => {
    await store("gina", "sk-plaintext-canary");
    const dump = await tdb.sql`select row_to_json(c)::text as j from credentials c`;
    expect(dump.map((r) => r.j).join("\n")).not.toContain("sk-plaintext-canary");
  });
});
