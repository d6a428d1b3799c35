/**
 * The whole OAuth life of a credential against a real authorization server (oidc-provider):
 * authorization code + PKCE through the HTTP callback, state refusals, rotating refresh, reauth,
 * revocation with its outbox, and no secret in logs or rows.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NeedsReauth } from "../../src/domain/errors.js";
import { drainRevocations } from "../../src/domain/refresh/token-revoker.js";
import { rowContext } from "../../src/secrets/secret-store.js";
import { createOAuthCallbackRoute } from "../../src/transport/http/oauth-callback.js";
import { driveAuthorization } from "../support/oidc-provider/drive.js";
import { APP_REDIRECT, CALLBACK_URL, dumpRows, type OAuthFixture, oauthFixture, refreshRequests } from "../support/oidc-provider/oauth-fixture.js";
import { startTestIdp, type TestIdp } from "../support/oidc-provider/server.js";
import { createTestDb, type TestDb } from "../support/postgres.js";

let db: TestDb;
let idp: TestIdp;
let fx: OAuthFixture;
let callback: Server;
let callbackBase: string;
let now = new Date();
const clock = () => now;

beforeAll(async () => {
  db = await createTestDb();
  idp = await startTestIdp({ redirectUri: CALLBACK_URL });
  fx = await oauthFixture({
    db,
    providers: [idp.definition()],
    env: { LATCHKEY_PROVIDER_TEST_IDP_CLIENT_ID: idp.clientId, LATCHKEY_PROVIDER_TEST_IDP_CLIENT_SECRET: idp.clientSecret },
    clock,
  });
  const route = createOAuthCallbackRoute({ flow: fx.flow, log: fx.log });
  callback = createServer((req, res) => void route.handler(req, res, {}));
  await new Promise<void>((r) => callback.listen(0, "127.0.0.1", r));
  callbackBase = `http://127.0.0.1:${(callback.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => callback.close(r));
  await idp.close();
  await fx.secrets.close();
  await db.drop();
});

/** Sends the provider's redirect to Latchkey's callback (the browser's last hop). */
async function hitCallback(providerRedirect: URL): Promise<Response> {
  return fetch(`${callbackBase}/oauth/callback${providerRedirect.search}`, { redirect: "manual" });
}

async function authorize(opts: { credentialId?: string; login?: string } = {}) {
  now = new Date();
  const started = await fx.flow.start({
    userId: "user-1",
    provider: "test_idp",
    scopes: ["openid", "email", "offline_access"],
    redirectUri: APP_REDIRECT,
    ...(opts.credentialId ? { credentialId: opts.credentialId } : {}),
  });
  const redirect = await driveAuthorization(started.authorizationUrl, CALLBACK_URL, { login: opts.login ?? "alice" });
  return { started, redirect };
}

async function tokensOf(id: string) {
  const row = (await fx.credentials.getById(id))!;
  const ctx = rowContext("credential", row.userId, row.id);
  return {
    row,
    access: (await fx.secrets.decrypt(row.secretCiphertext, ctx)).toString(),
    refresh: row.refreshTokenCiphertext ? (await fx.secrets.decrypt(row.refreshTokenCiphertext, rowContext("credential", row.userId, row.id, "refresh_token"))).toString() : undefined,
  };
}

const seenSecrets: string[] = [];

describe("authorization code + PKCE against oidc-provider", () => {
  let credentialId: string;

  it("completes through GET /oauth/callback with a 303 carrying state and credential_id", async () => {
    const { started, redirect } = await authorize();
    const authUrl = new URL(started.authorizationUrl);
    expect(authUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(Buffer.from(started.state, "base64url")).toHaveLength(32);
    seenSecrets.push(started.state, redirect.searchParams.get("code")!);

    const res = await hitCallback(redirect);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(APP_REDIRECT);
    expect(location.searchParams.get("state")).toBe(started.state);
    credentialId = location.searchParams.get("credential_id")!;

    const { row, access, refresh } = await tokensOf(credentialId);
    expect(row).toMatchObject({ provider: "test_idp", username: "alice@example.test", status: "active", kind: "oauth2" });
    expect(refresh).toBeTruthy();
    seenSecrets.push(access, refresh!);
    const view = await fx.flow.get(started.state);
    expect(view.status).toBe("completed");
    expect(view.credential?.id).toBe(credentialId);
  });

  it("refuses a replayed state with 400 and no redirect", async () => {
    const { redirect } = await authorize();
    expect((await hitCallback(redirect)).status).toBe(303);
    const replay = await hitCallback(redirect);
    expect(replay.status).toBe(400);
    expect(replay.headers.get("location")).toBeNull();
  });

  it("refuses a wrong state with 400", async () => {
    const { redirect } = await authorize();
    redirect.searchParams.set("state", "not-the-state");
    expect((await hitCallback(redirect)).status).toBe(400);
  });

  it("refuses an expired state and reports it expired", async () => {
    const { started, redirect } = await authorize();
    now = new Date(Date.now() + 601_000);
    expect((await hitCallback(redirect)).status).toBe(400);
    expect((await fx.flow.get(started.state)).status).toBe("expired");
  });

  it("fails the exchange when the PKCE verifier is wrong", async () => {
    const { started, redirect } = await authorize();
    const [s] = await db.sql<{ id: string; user_id: string }[]>`select id, user_id from oauth_states order by created_at desc limit 1`;
    const forged = await fx.secrets.encrypt(Buffer.from("x".repeat(43)), rowContext("oauth_state", s!.user_id, s!.id));
    await db.sql`update oauth_states set code_verifier_ciphertext = ${forged} where id = ${s!.id}`;
    const before = await db.sql`select count(*)::int as n from credentials`;
    const res = await hitCallback(redirect);
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location")!).searchParams.get("error")).toBe("invalid_grant");
    expect(await db.sql`select count(*)::int as n from credentials`).toEqual(before);
    expect((await fx.flow.get(started.state)).status).toBe("failed");
  });

  it("passes the provider's error=access_denied on to the redirect", async () => {
    now = new Date();
    const started = await fx.flow.start({ userId: "user-1", provider: "test_idp", scopes: [], redirectUri: APP_REDIRECT });
    const redirect = await driveAuthorization(started.authorizationUrl, CALLBACK_URL, { deny: true });
    const res = await hitCallback(redirect);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe(started.state);
    expect((await fx.flow.get(started.state)).error).toBe("access_denied");
  });

  it("refuses a redirect_uri outside the allow-list", async () => {
    await expect(
      fx.flow.start({ userId: "user-1", provider: "test_idp", scopes: [], redirectUri: "https://app.example.test.evil.test/integrations/x" }),
    ).rejects.toMatchObject({ code: "invalid_argument", field: "redirect_uri" });
  });

  it("refreshes an expiring token with rotation, never re-sending a spent refresh token", async () => {
    const before = await tokensOf(credentialId);
    for (let i = 0; i < 3; i++) {
      now = new Date(Date.now() + (i + 1) * 3700_000);
      const row = (await fx.credentials.getById(credentialId))!;
      const after = await fx.refresher.refresh(row, { force: false, minValidSeconds: 60 });
      expect(after.version).toBe(row.version + 1);
    }
    const after = await tokensOf(credentialId);
    expect(after.refresh).not.toBe(before.refresh);
    expect(after.access).not.toBe(before.access);
    seenSecrets.push(after.access, after.refresh!);
    const sent = refreshRequests(fx).map((c) => new URLSearchParams(c.body).get("refresh_token"));
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(3);
  });

  it("re-authorizing a credential replaces its tokens in place", async () => {
    const before = await tokensOf(credentialId);
    const { redirect } = await authorize({ credentialId });
    const res = await hitCallback(redirect);
    expect(new URL(res.headers.get("location")!).searchParams.get("credential_id")).toBe(credentialId);
    const after = await tokensOf(credentialId);
    expect(after.row.version).toBeGreaterThan(before.row.version);
    expect(after.access).not.toBe(before.access);
    seenSecrets.push(after.access, after.refresh!);
  });

  it("marks the credential NEEDS_REAUTH when the provider answers invalid_grant", async () => {
    const { redirect } = await authorize({ login: "bob" });
    const id = new URL((await hitCallback(redirect)).headers.get("location")!).searchParams.get("credential_id")!;
    const { refresh } = await tokensOf(id);
    // Kill the grant behind Latchkey's back.
    const revoked = await fetch(`${idp.issuer}/token/revocation`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${idp.clientId}:${idp.clientSecret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ token: refresh!, token_type_hint: "refresh_token" }),
    });
    expect(revoked.status).toBe(200);
    now = new Date(Date.now() + 3600_000);
    const row = (await fx.credentials.getById(id))!;
    const err = await fx.refresher.refresh(row, { force: false, minValidSeconds: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeedsReauth);
    expect((await fx.credentials.getById(id))!.status).toBe("needs_reauth");
  });

  it("revokes at the provider on delete, and queues the revocation when the provider is down", async () => {
    const { redirect } = await authorize({ login: "carol" });
    const id = new URL((await hitCallback(redirect)).headers.get("location")!).searchParams.get("credential_id")!;
    const row = (await fx.credentials.getById(id))!;
    expect(await fx.revoker.revoke(row)).toBe(true);
    // The refresh token is dead at the provider now.
    now = new Date(Date.now() + 3600_000);
    await expect(fx.refresher.refresh(row, { force: false, minValidSeconds: 60 })).rejects.toBeInstanceOf(NeedsReauth);

    const { redirect: r2 } = await authorize({ login: "dave" });
    const id2 = new URL((await hitCallback(r2)).headers.get("location")!).searchParams.get("credential_id")!;
    const row2 = (await fx.credentials.getById(id2))!;
    const down = { ...fx.revokerDeps, fetch: (async () => { throw new TypeError("fetch failed"); }) as typeof fetch };
    const { createTokenRevoker } = await import("../../src/domain/refresh/token-revoker.js");
    expect(await createTokenRevoker(down).revoke(row2)).toBe(false);
    await db.sql`delete from credentials where id = ${id2}`;
    const [queued] = await db.sql<{ n: number }[]>`select count(*)::int as n from oauth_revocations where credential_id = ${id2}`;
    expect(queued!.n).toBe(1);
    now = new Date(Date.now() + 3600_000);
    expect(await drainRevocations({ ...fx.revokerDeps, clock })).toBe(1);
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from oauth_revocations`;
    expect(left!.n).toBe(0);
  });

  it("never writes a token, code, state or client secret to the log or to a row in plaintext", async () => {
    const log = fx.lines.join("\n");
    const rows = await dumpRows(db.sql);
    expect(seenSecrets.length).toBeGreaterThan(5);
    for (const s of [...seenSecrets, idp.clientSecret]) {
      expect(log).not.toContain(s);
      expect(rows).not.toContain(s);
    }
  });
});
