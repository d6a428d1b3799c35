/**
 * OAuthService (transport-neutral implementation) over the real flow, Postgres and keyring:
 * request validation, configured/not-configured providers, status reporting; plus the
 * client-credentials grant and the background refresher.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOAuthService } from "../../src/api/oauth-service.js";
import type { CallContext } from "../../src/api/types.js";
import { refreshDueCredentials } from "../../src/domain/refresh/background-refresher.js";
import { AuthorizationStatus } from "../../src/gen/latchkey/v1/oauth_pb.js";
import { CredentialStatus } from "../../src/gen/latchkey/v1/common_pb.js";
import { createRefreshCandidates } from "../../src/storage/oauth-refresh-repo.js";
import { APP_REDIRECT, oauthFixture, type OAuthFixture } from "../support/oidc-provider/oauth-fixture.js";
import { startGoogleLookalike } from "../support/provider-lookalikes/google.js";
import { startLookalike, token, type Lookalike } from "../support/provider-lookalikes/server.js";
import { createTestDb, type TestDb } from "../support/postgres.js";

const CLIENT = { id: "cid", secret: "csecret-not-logged" };
let db: TestDb;
let fx: OAuthFixture;
let google: Awaited<ReturnType<typeof startGoogleLookalike>>;
let machine: Lookalike;
let now = new Date();
const clock = () => now;
const ctx = {} as CallContext;

beforeAll(async () => {
  db = await createTestDb();
  google = await startGoogleLookalike(CLIENT);
  machine = await startLookalike();
  machine.on("POST /token", (req) =>
    req.basic?.secret === CLIENT.secret && req.form.get("grant_type") === "client_credentials"
      ? { body: { access_token: token("m2m_"), expires_in: 600, token_type: "Bearer", scope: req.form.get("scope") } }
      : { status: 401, body: { error: "invalid_client" } },
  );
  fx = await oauthFixture({
    db,
    clock,
    providers: [
      google.definition,
      {
        name: "machine",
        display_name: "Machine API",
        category: "internal",
        auth_types: ["oauth2"],
        oauth: { grant: "client_credentials", token_url: `${machine.base}/token`, default_scopes: ["jobs:read"], client_auth: "client_secret_basic", refresh: false },
      },
      { name: "unconfigured", display_name: "Nope", category: "x", auth_types: ["oauth2"], oauth: { authorize_url: "https://nope.example/a", token_url: "https://nope.example/t" } },
    ],
    env: {
      LATCHKEY_PROVIDER_GOOGLE_CLIENT_ID: CLIENT.id,
      LATCHKEY_PROVIDER_GOOGLE_CLIENT_SECRET: CLIENT.secret,
      LATCHKEY_PROVIDER_MACHINE_CLIENT_ID: CLIENT.id,
      LATCHKEY_PROVIDER_MACHINE_CLIENT_SECRET: CLIENT.secret,
    },
  });
});

afterAll(async () => {
  await google.lk.close();
  await machine.close();
  await fx.secrets.close();
  await db.drop();
});

const svc = () => createOAuthService({ flow: fx.flow });
const start = async (over: Record<string, unknown> = {}) =>
  (await svc().startAuthorization(
    { userId: "u1", provider: "google", scopes: [], redirectUri: APP_REDIRECT, credentialId: "", ...over } as never,
    ctx,
  )) as { authorizationUrl: string; state: string };
const complete = async (state: string, code: string) =>
  (await svc().completeAuthorization({ state, code } as never, ctx)) as { credential: { id: string } & Record<string, unknown> };

describe("OAuthService", () => {
  it("answers FAILED_PRECONDITION for a provider without client credentials", async () => {
    await expect(start({ provider: "unconfigured" })).rejects.toMatchObject({ code: "failed_precondition" });
  });

  it("answers NOT_FOUND for an unknown provider and INVALID_ARGUMENT naming bad fields", async () => {
    await expect(start({ provider: "nope" })).rejects.toMatchObject({ code: "not_found" });
    await expect(start({ userId: "" })).rejects.toMatchObject({ code: "invalid_argument", field: "user_id" });
    await expect(start({ redirectUri: "https://evil.test/" })).rejects.toMatchObject({ field: "redirect_uri" });
    await expect(start({ credentialId: "nope" })).rejects.toMatchObject({ field: "credential_id" });
    await expect(svc().completeAuthorization({ state: "s", code: "" } as never, ctx)).rejects.toMatchObject({ field: "code" });
  });

  it("reports PENDING, then COMPLETED with the credential", async () => {
    now = new Date();
    const started = await start();
    expect(started.authorizationUrl).toContain(`${google.lk.base}/o/oauth2/v2/auth?`);
    const pending = await svc().getAuthorization({ state: started.state } as never, ctx);
    expect(pending).toMatchObject({ status: AuthorizationStatus.PENDING, provider: "google", userId: "u1" });
    const { code } = google.codes.authorize(started.authorizationUrl);
    const done = await complete(started.state, code);
    expect(done.credential).toMatchObject({ provider: "google", username: "grace@example.test", status: CredentialStatus.ACTIVE });
    const completed = await svc().getAuthorization({ state: started.state } as never, ctx);
    expect(completed.status).toBe(AuthorizationStatus.COMPLETED);
    expect((completed.credential as { id?: string } | undefined)?.id).toBe(done.credential.id);
    await expect(svc().completeAuthorization({ state: started.state, code } as never, ctx)).rejects.toMatchObject({ code: "failed_precondition" });
  });

  it("completes a client-credentials provider at start, redirecting straight to the caller", async () => {
    const started = await start({ provider: "machine" });
    const url = new URL(started.authorizationUrl);
    expect(url.origin + url.pathname).toBe(APP_REDIRECT);
    const row = (await fx.credentials.getById(url.searchParams.get("credential_id")!))!;
    expect(row).toMatchObject({ provider: "machine", scopes: ["jobs:read"], refreshTokenCiphertext: null });
    now = new Date(Date.now() + 3600_000);
    const renewed = await fx.refresher.refresh(row, { force: false, minValidSeconds: 60 });
    expect(renewed.version).toBe(row.version + 1);
  });
});

describe("background refresher", () => {
  it("renews tokens about to expire and refreshes idle refreshable credentials", async () => {
    now = new Date();
    const started = await start();
    const { code } = google.codes.authorize(started.authorizationUrl);
    const row = (await complete(started.state, code)).credential;
    const deps = {
      refresher: fx.refresher,
      candidates: createRefreshCandidates(db.sql),
      credentials: fx.credentials,
      registry: fx.registry,
      clock,
      log: fx.log,
      refreshMarginSeconds: 300,
      idleRefreshHours: 24,
    };
    // Nothing due right after authorization.
    const before = (await fx.credentials.getById(row.id))!;
    await refreshDueCredentials(deps);
    expect((await fx.credentials.getById(row.id))!.version).toBe(before.version);
    // 58 minutes on, the 1-hour token is within the margin.
    now = new Date(Date.now() + 58 * 60_000);
    await refreshDueCredentials(deps);
    const renewed = (await fx.credentials.getById(row.id))!;
    expect(renewed.version).toBe(before.version + 1);
    // Two days on, idle credentials are refreshed even if their token would still be valid.
    await db.sql`update credentials set access_token_expires_at = ${new Date(Date.now() + 10 * 86_400_000)} where id = ${row.id}`;
    now = new Date(Date.now() + 2 * 86_400_000);
    await refreshDueCredentials(deps);
    expect((await fx.credentials.getById(row.id))!.version).toBeGreaterThan(renewed.version);
  });
});
