/**
 * Two replicas (independent refreshers on separate pools, one Postgres schema) and 200 concurrent
 * GetAccessToken-style refreshes of one expired credential: exactly one refresh reaches the
 * provider, and every caller gets the same new token. Written at the refresher level so the lead
 * can lift it to two gRPC servers once the app is wired.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowContext, type SecretStore } from "../../src/secrets/secret-store.js";
import { authorizeCredential, CALLBACK_URL, type OAuthFixture, oauthFixture, refreshRequests } from "../support/oidc-provider/oauth-fixture.js";
import { startTestIdp, type TestIdp } from "../support/oidc-provider/server.js";
import { createTestDb, type TestDb } from "../support/postgres.js";

let db: TestDb;
let idp: TestIdp;
let a: OAuthFixture;
let b: OAuthFixture;
let now = new Date();
const clock = () => now;

beforeAll(async () => {
  db = await createTestDb();
  idp = await startTestIdp({ redirectUri: CALLBACK_URL });
  const env = { LATCHKEY_PROVIDER_TEST_IDP_CLIENT_ID: idp.clientId, LATCHKEY_PROVIDER_TEST_IDP_CLIENT_SECRET: idp.clientSecret };
  a = await oauthFixture({ db, providers: [idp.definition()], env, clock });
  b = await oauthFixture({ db, providers: [idp.definition()], env, clock, secrets: a.secrets, sql: db.connect(10) });
});

afterAll(async () => {
  await idp.close();
  await a.secrets.close();
  await db.drop();
});

const refreshCalls = (fx: OAuthFixture) => refreshRequests(fx).length;

describe("refresh across replicas", () => {
  it("200 concurrent refreshes of an expired token on two replicas cause one provider refresh and one new token", async () => {
    const stale = await authorizeCredential(a);

    now = new Date(Date.now() + 2 * 3600_000);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).refresher.refresh(stale, { force: false, minValidSeconds: 60 })),
    );

    expect(refreshCalls(a) + refreshCalls(b)).toBe(1);
    expect(new Set(results.map((r) => r.version))).toEqual(new Set([stale.version + 1]));
    expect(new Set(results.map((r) => r.secretCiphertext)).size).toBe(1);
    const ctx = rowContext("credential", stale.userId, stale.id);
    const token = (await a.secrets.decrypt(results[0]!.secretCiphertext, ctx)).toString();
    const stored = (await a.credentials.getById(stale.id))!;
    expect((await a.secrets.decrypt(stored.secretCiphertext, ctx)).toString()).toBe(token);
    expect(stored.accessTokenExpiresAt!.getTime()).toBeGreaterThan(now.getTime() + 60_000);
  });
});

/** The refresh tokens sent to the provider, in order. */
const sentRefreshTokens = (...fxs: OAuthFixture[]) => refreshRequests(...fxs).map((c) => new URLSearchParams(c.body).get("refresh_token"));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(5);
  }
}

/** The real keyring, with encryptBatch delayed by `delayMs` while it is set (a slow or re-logging Vault). */
function slowEncrypt(inner: SecretStore): { store: SecretStore; delay: { ms: number } } {
  const delay = { ms: 0 };
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === "encryptBatch") {
        return async (items: Parameters<SecretStore["encryptBatch"]>[0]) => {
          if (delay.ms > 0) await sleep(delay.ms);
          return target.encryptBatch(items);
        };
      }
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store, delay };
}

describe("refresh lease held past its length", () => {
  let later = new Date();
  const laterClock = () => later;
  const LEASE_MS = 300;
  let slow: ReturnType<typeof slowEncrypt>;
  let c: OAuthFixture;
  let d: OAuthFixture;

  beforeAll(async () => {
    const env = { LATCHKEY_PROVIDER_TEST_IDP_CLIENT_ID: idp.clientId, LATCHKEY_PROVIDER_TEST_IDP_CLIENT_SECRET: idp.clientSecret };
    slow = slowEncrypt(a.secrets);
    c = await oauthFixture({ db, providers: [idp.definition()], env, clock: laterClock, secrets: slow.store, sql: db.connect(4), leaseMs: LEASE_MS });
    d = await oauthFixture({ db, providers: [idp.definition()], env, clock: laterClock, secrets: a.secrets, sql: db.connect(4), leaseMs: LEASE_MS });
  });

  async function authorized() {
    later = new Date();
    const credential = await authorizeCredential(d);
    later = new Date(Date.now() + 2 * 3600_000);
    return credential;
  }

  it("a slow store after the provider answered keeps the lease: the other replica waits, the rotated token is sent once, the credential stays active", async () => {
    const stale = await authorized();
    slow.delay.ms = 1_500;
    const before = sentRefreshTokens(c, d).length;
    try {
      const first = c.refresher.refresh(stale, { force: false, minValidSeconds: 60 });
      // The provider has answered replica C; C now spends 1.5 s (five lease lengths) encrypting.
      await until(() => sentRefreshTokens(c).length > 0);
      await sleep(LEASE_MS * 2);
      const second = d.refresher.refresh(stale, { force: false, minValidSeconds: 60 });
      const [r1, r2] = await Promise.all([first, second]);
      expect(r1.version).toBe(stale.version + 1);
      expect(r2.version).toBe(r1.version);
    } finally {
      slow.delay.ms = 0;
    }
    const sent = sentRefreshTokens(c, d).slice(before);
    expect(sent).toHaveLength(1);
    const stored = (await d.credentials.getById(stale.id))!;
    expect(stored.status).toBe("active");
    expect(stored.version).toBe(stale.version + 1);
  });

  it("a forced refresh joining a non-forced flight that found the token valid still refreshes at the provider", async () => {
    const stale = await authorized();
    const current = await d.refresher.refresh(stale, { force: false, minValidSeconds: 60 });
    expect(current.version).toBe(stale.version + 1);
    const before = sentRefreshTokens(c, d).length;
    // A caller holding the stale row starts a flight on C that will find the token already renewed;
    // RefreshCredential, issued right after on C, must not settle for that flight's answer.
    const [plain, forced] = await Promise.all([
      c.refresher.refresh(stale, { force: false, minValidSeconds: 60 }),
      c.refresher.refresh(current, { force: true, minValidSeconds: 0 }),
    ]);
    expect(plain.version).toBe(current.version);
    expect(forced.version).toBe(current.version + 1);
    expect(sentRefreshTokens(c, d).length - before).toBe(1);
  });

  it("taking over a lapsed lease with an unfinished attempt backs off (in doubt) instead of resending the refresh token", async () => {
    const stale = await authorized();
    // A replica sent the refresh token, then lost its lease (or died) before recording the outcome.
    await db.sql`
      insert into credential_refresh_leases (credential_id, owner, lease_expires_at, attempt_started_at)
      values (${stale.id}, 'gone-replica', now() - interval '1 second', now() - interval '2 seconds')`;
    const before = sentRefreshTokens(c, d).length;
    await expect(d.refresher.refresh(stale, { force: false, minValidSeconds: 60 })).rejects.toMatchObject({ code: "unavailable" });
    expect(sentRefreshTokens(c, d).length).toBe(before);
    const [lease] = await db.sql`select * from credential_refresh_leases where credential_id = ${stale.id}`;
    expect(lease!.in_doubt_since).not.toBeNull();
    expect(lease!.attempt_started_at).toBeNull();
    expect((lease!.next_attempt_at as Date).getTime()).toBeGreaterThan(later.getTime());
    // Nobody else retries during the backoff either.
    await expect(c.refresher.refresh(stale, { force: false, minValidSeconds: 60 })).rejects.toMatchObject({ code: "unavailable" });
    expect(sentRefreshTokens(c, d).length).toBe(before);
    expect((await d.credentials.getById(stale.id))!.status).toBe("active");
  });

  it("invalid_grant after the row moved on (refreshed or re-authorized meanwhile) returns the newer row, not NEEDS_REAUTH", async () => {
    const stale = await authorized();
    const env = { LATCHKEY_PROVIDER_TEST_IDP_CLIENT_ID: idp.clientId, LATCHKEY_PROVIDER_TEST_IDP_CLIENT_SECRET: idp.clientSecret };
    // The provider refuses our (stale) refresh token, and by the time it answers another writer
    // has stored newer tokens.
    const interfering: typeof fetch = async (input, init) => {
      if (String(input).endsWith("/token") && String(init?.body).includes("grant_type=refresh_token")) {
        await d.credentials.replaceTokens(stale.id, stale.version, {
          secretCiphertext: stale.secretCiphertext,
          accessTokenExpiresAt: new Date(later.getTime() + 3600_000),
        });
        return new Response(JSON.stringify({ error: "invalid_grant", error_description: "grant request is invalid" }), {
          status: 400,
          headers: { "content-type": "application/json" },
        });
      }
      return fetch(input, init);
    };
    const e = await oauthFixture({ db, providers: [idp.definition()], env, clock: laterClock, secrets: a.secrets, fetch: interfering });
    const result = await e.refresher.refresh(stale, { force: false, minValidSeconds: 60 });
    expect(result).toMatchObject({ status: "active", version: stale.version + 1 });
    expect((await d.credentials.getById(stale.id))!.status).toBe("active");
  });
});
