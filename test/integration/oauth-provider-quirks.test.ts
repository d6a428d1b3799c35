/**
 * Each built-in provider's quirks, against local look-alikes answering as that provider's docs
 * say, using the catalogue's own definitions (endpoints pointed at the look-alike). Also the
 * failure modes of a refresh: 5xx and timeouts answer UNAVAILABLE and leave the row as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NeedsReauth, Unavailable } from "../../src/domain/errors.js";
import { rowContext } from "../../src/secrets/secret-store.js";
import type { ProviderDefinitionInput } from "../../src/providers/schema.js";
import { APP_REDIRECT, dumpRows, oauthFixture, type OAuthFixture } from "../support/oidc-provider/oauth-fixture.js";
import { startGitHubLookalike } from "../support/provider-lookalikes/github.js";
import { startGoogleLookalike } from "../support/provider-lookalikes/google.js";
import { startNotionLookalike } from "../support/provider-lookalikes/notion.js";
import { CodeBook, type Lookalike } from "../support/provider-lookalikes/server.js";
import { startSlackLookalike } from "../support/provider-lookalikes/slack.js";
import { startTodoistLookalike } from "../support/provider-lookalikes/todoist.js";
import { startTwitterLookalike } from "../support/provider-lookalikes/twitter.js";
import { createTestDb, type TestDb } from "../support/postgres.js";

const CLIENT = { id: "client-id-1", secret: "client-secret-do-not-log" };
let db: TestDb;
let now = new Date();
const clock = () => now;
const closers: Lookalike[] = [];
const fixtures: OAuthFixture[] = [];

beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await Promise.all(closers.map((l) => l.close()));
  for (const f of fixtures) await f.secrets.close();
  await db.drop();
});

function envFor(name: string) {
  const base = `LATCHKEY_PROVIDER_${name.toUpperCase()}`;
  return { [`${base}_CLIENT_ID`]: CLIENT.id, [`${base}_CLIENT_SECRET`]: CLIENT.secret };
}

async function setup(started: { lk: Lookalike; codes: CodeBook; definition: ProviderDefinitionInput }, opts: { providerTimeoutMs?: number } = {}) {
  closers.push(started.lk);
  const fx = await oauthFixture({ db, providers: [started.definition], env: envFor(started.definition.name), clock, ...opts });
  fixtures.push(fx);
  const connect = async (userId = "user-q") => {
    now = new Date();
    const s = await fx.flow.start({ userId, provider: started.definition.name, scopes: [], redirectUri: APP_REDIRECT });
    const { code, state, params } = started.codes.authorize(s.authorizationUrl);
    const outcome = await fx.flow.exchange(state, code);
    if (!("credential" in outcome)) throw outcome.cause;
    return { row: outcome.credential, params };
  };
  const secretsOf = async (id: string) => {
    const row = (await fx.credentials.getById(id))!;
    const ctx = rowContext("credential", row.userId, row.id);
    return {
      row,
      access: (await fx.secrets.decrypt(row.secretCiphertext, ctx)).toString(),
      refresh: row.refreshTokenCiphertext ? (await fx.secrets.decrypt(row.refreshTokenCiphertext, rowContext("credential", row.userId, row.id, "refresh_token"))).toString() : null,
    };
  };
  return { fx, connect, secretsOf };
}

describe("GitHub", () => {
  it("reads form-encoded token answers and the login from /user", async () => {
    const gh = await startGitHubLookalike(CLIENT, { formAnswers: true });
    const { connect, secretsOf } = await setup(gh);
    const { row, params } = await connect();
    expect(params.get("code_challenge_method")).toBe("S256");
    const s = await secretsOf(row.id);
    expect(s.access).toMatch(/^ghu_/);
    expect(s.refresh).toMatch(/^ghr_/);
    expect(row.username).toBe("octocat");
    expect(row.scopes).toEqual(["read:user"]);
  });

  it("treats bad_refresh_token sent with HTTP 200 as NEEDS_REAUTH", async () => {
    const gh = await startGitHubLookalike(CLIENT);
    const { fx, connect } = await setup(gh);
    const { row } = await connect();
    gh.live.clear();
    now = new Date(Date.now() + 9 * 3600_000);
    await expect(fx.refresher.refresh(row, { force: false, minValidSeconds: 60 })).rejects.toBeInstanceOf(NeedsReauth);
    expect((await fx.credentials.getById(row.id))!.status).toBe("needs_reauth");
  });
});

describe("Notion", () => {
  it("exchanges with basic auth and a JSON body, takes the owner from the token answer, and never refreshes", async () => {
    const notion = await startNotionLookalike(CLIENT);
    const { fx, connect } = await setup(notion);
    const { row, params } = await connect();
    expect(params.get("owner")).toBe("user");
    expect(row).toMatchObject({ username: "ada@example.test", accessTokenExpiresAt: null, refreshTokenCiphertext: null });
    now = new Date(Date.now() + 365 * 86_400_000);
    expect(await fx.refresher.refresh(row, { force: false, minValidSeconds: 60 })).toBe(row);
    expect(notion.lk.requests.filter((r) => r.path === "/v1/oauth/token")).toHaveLength(1);
  });
});

describe("Google", () => {
  it("asks for offline access with consent and keeps the refresh token when a refresh sends none", async () => {
    const google = await startGoogleLookalike(CLIENT);
    const { fx, connect, secretsOf } = await setup(google);
    const { row, params } = await connect();
    expect(params.get("access_type")).toBe("offline");
    expect(params.get("prompt")).toBe("consent");
    expect(params.get("scope")).toBe("openid email profile");
    expect(row.username).toBe("grace@example.test");
    const before = await secretsOf(row.id);
    now = new Date(Date.now() + 3600_000);
    const after = await fx.refresher.refresh(row, { force: false, minValidSeconds: 60 });
    const s = await secretsOf(after.id);
    expect(s.access).not.toBe(before.access);
    expect(s.refresh).toBe(before.refresh);
  });
});

describe("Todoist", () => {
  it("stores a token without expiry and comma-separated scopes, and hands it out without refreshing", async () => {
    const todoist = await startTodoistLookalike(CLIENT);
    const { fx, connect } = await setup(todoist);
    const { row, params } = await connect();
    expect(params.get("scope")).toBe("data:read");
    expect(row).toMatchObject({ accessTokenExpiresAt: null, username: "kai@example.test" });
    await expect(fx.refresher.refresh(row, { force: true, minValidSeconds: 60 })).rejects.toMatchObject({ code: "failed_precondition" });
  });
});

describe("X (Twitter)", () => {
  it("uses PKCE with basic auth, and persists each rotated refresh token before answering", async () => {
    const x = await startTwitterLookalike(CLIENT);
    const { fx, connect, secretsOf } = await setup(x);
    const { row } = await connect();
    const exchange = x.lk.requests.find((r) => r.form.get("grant_type") === "authorization_code")!;
    expect(exchange.basic).toEqual(CLIENT);
    expect(exchange.form.get("client_secret")).toBeNull();
    expect(exchange.form.get("code_verifier")).toBeTruthy();
    expect(row.username).toBe("XDevelopers");
    let current = row;
    for (let i = 1; i <= 2; i++) {
      now = new Date(Date.now() + i * 7300_000);
      current = await fx.refresher.refresh(current, { force: false, minValidSeconds: 60 });
      const s = await secretsOf(current.id);
      expect(x.live.has(s.refresh!)).toBe(true);
    }
    const sent = x.lk.requests.filter((r) => r.form.get("grant_type") === "refresh_token").map((r) => r.form.get("refresh_token"));
    expect(new Set(sent).size).toBe(sent.length);
  });
});

describe("Slack", () => {
  it("stores the user token nested under authed_user, not the bot token, and maps invalid_refresh_token to NEEDS_REAUTH", async () => {
    const slack = await startSlackLookalike(CLIENT);
    const { fx, connect, secretsOf } = await setup(slack);
    const { row, params } = await connect();
    expect(params.get("user_scope")).toBe("users:read");
    expect(params.get("scope")).toBeNull();
    const s = await secretsOf(row.id);
    expect(s.access).toMatch(/^xoxp-/);
    expect(s.refresh).toMatch(/^xoxe-1-/);
    expect(row.username).toBe("U0123");
    now = new Date(Date.now() + 13 * 3600_000);
    const refreshed = await fx.refresher.refresh(row, { force: false, minValidSeconds: 60 });
    expect((await secretsOf(refreshed.id)).access).toMatch(/^xoxp-/);
    slack.live.clear();
    now = new Date(Date.now() + 26 * 3600_000);
    await expect(fx.refresher.refresh(refreshed, { force: false, minValidSeconds: 60 })).rejects.toBeInstanceOf(NeedsReauth);
  });
});

describe("refresh failures", () => {
  it("answers UNAVAILABLE on a provider 5xx and leaves the credential as it was", async () => {
    const x = await startTwitterLookalike(CLIENT);
    const { fx, connect } = await setup(x);
    const { row } = await connect();
    x.lk.on("POST /2/oauth2/token", () => ({ status: 503, body: "upstream down" }));
    now = new Date(Date.now() + 3 * 3600_000);
    await expect(fx.refresher.refresh(row, { force: false, minValidSeconds: 60 })).rejects.toBeInstanceOf(Unavailable);
    expect(await fx.credentials.getById(row.id)).toEqual(row);
  });

  it("does not retry a refresh that timed out: later callers get UNAVAILABLE without a second request", async () => {
    const x = await startTwitterLookalike(CLIENT);
    const { fx, connect } = await setup(x, { providerTimeoutMs: 300 });
    const { row } = await connect();
    x.lk.on("POST /2/oauth2/token", () => ({ hang: true }));
    now = new Date(Date.now() + 3 * 3600_000);
    const err = await fx.refresher.refresh(row, { force: false, minValidSeconds: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unavailable);
    await expect(fx.refresher.refresh(row, { force: false, minValidSeconds: 60 })).rejects.toBeInstanceOf(Unavailable);
    expect(x.lk.requests.filter((r) => r.form.get("grant_type") === "refresh_token")).toHaveLength(1);
    expect(await fx.credentials.getById(row.id)).toEqual(row);
  });

  it("keeps tokens and the client secret out of logs and rows", async () => {
    const rows = await dumpRows(db.sql);
    const logs = fixtures.flatMap((f) => f.lines).join("\n");
    for (const s of [CLIENT.secret, "ghu_", "ghr_", "ntn_", "ya29.", "xat_", "xrt_", "xoxp-", "xoxe-1-"]) {
      expect(rows).not.toContain(s);
      expect(logs).not.toContain(s);
    }
  });
});
