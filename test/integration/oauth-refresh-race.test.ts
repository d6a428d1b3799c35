/**
 * Two replicas (independent refreshers on separate pools, one Postgres schema) and 200 concurrent
 * GetAccessToken-style refreshes of one expired credential: exactly one refresh reaches the
 * provider, and every caller gets the same new token. Written at the refresher level so the lead
 * can lift it to two gRPC servers once the app is wired.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowContext } from "../../src/secrets/secret-store.js";
import { driveAuthorization } from "../support/oidc-provider/drive.js";
import { APP_REDIRECT, CALLBACK_URL, oauthFixture, type OAuthFixture } from "../support/oidc-provider/oauth-fixture.js";
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

const refreshCalls = (fx: OAuthFixture) =>
  fx.calls.filter((c) => c.url.endsWith("/token") && c.body.includes("grant_type=refresh_token")).length;

describe("refresh across replicas", () => {
  it("200 concurrent refreshes of an expired token on two replicas cause one provider refresh and one new token", async () => {
    const started = await a.flow.start({ userId: "u", provider: "test_idp", scopes: ["openid", "offline_access"], redirectUri: APP_REDIRECT });
    const cb = await driveAuthorization(started.authorizationUrl, CALLBACK_URL);
    const outcome = await a.flow.exchange(cb.searchParams.get("state")!, cb.searchParams.get("code")!);
    if (!("credential" in outcome)) throw outcome.cause;
    const stale = outcome.credential;

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
