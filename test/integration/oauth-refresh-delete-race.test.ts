/**
 * A refresh racing DeleteCredential: the caller is told the credential is gone (NOT_FOUND, never
 * a raw database error), and tokens the provider issued for a row deleted meanwhile are queued
 * for revocation instead of staying live at the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CredentialRow } from "../../src/domain/credentials/credential.js";
import { drainRevocations, revocationContext } from "../../src/domain/refresh/token-revoker.js";
import { rowContext } from "../../src/secrets/secret-store.js";
import { authorizeCredential, CALLBACK_URL, oauthFixture, type OAuthFixture } from "../support/oidc-provider/oauth-fixture.js";
import { startTestIdp, type TestIdp } from "../support/oidc-provider/server.js";
import { createTestDb, type TestDb } from "../support/postgres.js";

let db: TestDb;
let idp: TestIdp;
let a: OAuthFixture;
let now = new Date();
const clock = () => now;
/** Runs once, when the next refresh request reaches the provider (before it is forwarded). */
let onRefreshRequest: (() => Promise<Response | void>) | undefined;

const hooked: typeof fetch = async (input, init) => {
  const hook = onRefreshRequest;
  if (hook && String(input).endsWith("/token") && String(init?.body).includes("grant_type=refresh_token")) {
    onRefreshRequest = undefined;
    const answer = await hook();
    if (answer) return answer;
  }
  return fetch(input, init);
};

beforeAll(async () => {
  db = await createTestDb();
  idp = await startTestIdp({ redirectUri: CALLBACK_URL });
  const env = { LATCHKEY_PROVIDER_TEST_IDP_CLIENT_ID: idp.clientId, LATCHKEY_PROVIDER_TEST_IDP_CLIENT_SECRET: idp.clientSecret };
  a = await oauthFixture({ db, providers: [idp.definition()], env, clock, fetch: hooked });
});

afterAll(async () => {
  await idp.close();
  await a.secrets.close();
  await db.drop();
});

async function expiredCredential(): Promise<CredentialRow> {
  now = new Date();
  const credential = await authorizeCredential(a);
  now = new Date(Date.now() + 2 * 3600_000);
  return credential;
}

const remove = (id: string) => db.sql`delete from credentials where id = ${id}`;

describe("refresh racing a delete", () => {
  it("a credential deleted before the refresh takes its lease answers not_found", async () => {
    const stale = await expiredCredential();
    await remove(stale.id);
    await expect(a.refresher.refresh(stale, { force: false, minValidSeconds: 60 })).rejects.toMatchObject({ code: "not_found" });
  });

  it("a credential deleted while the provider fails the refresh answers not_found", async () => {
    const stale = await expiredCredential();
    onRefreshRequest = async () => {
      await remove(stale.id);
      return new Response(JSON.stringify({ error: "temporarily_unavailable" }), { status: 503, headers: { "content-type": "application/json" } });
    };
    await expect(a.refresher.refresh(stale, { force: false, minValidSeconds: 60 })).rejects.toMatchObject({ code: "not_found" });
  });

  it("tokens the provider issued for a credential deleted during the refresh are queued for revocation", async () => {
    const stale = await expiredCredential();
    const oldRefresh = (await a.secrets.decrypt(stale.refreshTokenCiphertext!, rowContext("credential", "u", stale.id, "refresh_token"))).toString();
    onRefreshRequest = async () => {
      await remove(stale.id); // the provider still answers with new tokens
    };
    await expect(a.refresher.refresh(stale, { force: false, minValidSeconds: 60 })).rejects.toMatchObject({ code: "not_found" });
    const queued = await db.sql<{ id: string; token_kind: string; token_ciphertext: string; user_id: string; credential_id: string }[]>`
      select id, token_kind, token_ciphertext, user_id, credential_id from oauth_revocations where credential_id = ${stale.id}`;
    expect(queued).toHaveLength(1);
    expect(queued[0]!.token_kind).toBe("refresh_token");
    const ctx = revocationContext({ userId: "u", credentialId: stale.id, tokenKind: "refresh_token" });
    const issued = (await a.secrets.decrypt(queued[0]!.token_ciphertext, ctx)).toString();
    expect(issued).not.toBe(oldRefresh);
    // The outbox worker revokes it at the provider.
    const before = a.calls.filter((c) => c.url.endsWith("/token/revocation")).length;
    expect(await drainRevocations(a.revokerDeps)).toBe(1);
    const revocations = a.calls.filter((c) => c.url.endsWith("/token/revocation")).slice(before);
    expect(revocations.map((c) => new URLSearchParams(c.body).get("token"))).toEqual([issued]);
  });
});
