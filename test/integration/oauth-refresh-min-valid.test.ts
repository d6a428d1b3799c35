/**
 * min_valid_seconds longer than the provider's token lifetime (a one-hour token, two hours asked):
 * the caller is told it cannot be met, and asking again does not refresh at the provider again,
 * on this replica or another.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  idp = await startTestIdp({ redirectUri: CALLBACK_URL, accessTokenTtlSeconds: 3600 });
  const env = { LATCHKEY_PROVIDER_TEST_IDP_CLIENT_ID: idp.clientId, LATCHKEY_PROVIDER_TEST_IDP_CLIENT_SECRET: idp.clientSecret };
  a = await oauthFixture({ db, providers: [idp.definition()], env, clock });
  b = await oauthFixture({ db, providers: [idp.definition()], env, clock, secrets: a.secrets, sql: db.connect(4) });
});

afterAll(async () => {
  await idp.close();
  await a.secrets.close();
  await db.drop();
});

const refreshCalls = () => refreshRequests(a, b).length;

async function authorized() {
  now = new Date();
  return authorizeCredential(a);
}

describe("min_valid_seconds beyond the provider's token lifetime", () => {
  it("answers failed_precondition naming the lifetime, and repeated asks on either replica refresh at the provider once", async () => {
    const cred = await authorized();
    const before = refreshCalls();
    for (const fx of [a, a, b, a]) {
      const row = (await fx.credentials.getById(cred.id))!;
      const err = await fx.refresher.refresh(row, { force: false, minValidSeconds: 7200 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "failed_precondition" });
      expect((err as Error).message).toMatch(/tokens for credential .* live about 3600 s; min_valid_seconds 7200 cannot be met/);
    }
    expect(refreshCalls() - before).toBe(1);
    // A request the lifetime can meet is served by the current token, with no refresh.
    const row = (await a.credentials.getById(cred.id))!;
    expect((await b.refresher.refresh(row, { force: false, minValidSeconds: 600 })).version).toBe(row.version);
    expect((await a.credentials.getById(cred.id))!.status).toBe("active");
  });

  it("callers joining one flight each get their own answer: enough validity is served, too much is refused", async () => {
    const cred = await authorized();
    now = new Date(Date.now() + 2 * 3600_000);
    const before = refreshCalls();
    const [modest, greedy] = await Promise.allSettled([
      a.refresher.refresh(cred, { force: false, minValidSeconds: 60 }),
      a.refresher.refresh(cred, { force: false, minValidSeconds: 7200 }),
    ]);
    expect(modest).toMatchObject({ status: "fulfilled", value: { version: cred.version + 1 } });
    expect(greedy).toMatchObject({ status: "rejected", reason: { code: "failed_precondition" } });
    expect(refreshCalls() - before).toBe(1);
  });
});
