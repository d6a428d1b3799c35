/**
 * Wires the OAuth side (registry, flow, refresher, revoker) for tests against a real Postgres
 * schema and the real local keyring, with a recording fetch and a captured log. The same wiring
 * main.ts does, minus the servers. `replica()` builds a second, independent set on its own pool.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CredentialRow } from "../../../src/domain/credentials/credential.js";
import { createAuthorizationFlow } from "../../../src/domain/oauth/authorization-flow.js";
import { createTokenRefresher } from "../../../src/domain/refresh/token-refresher.js";
import { createTokenRevoker, type TokenRevokerDeps } from "../../../src/domain/refresh/token-revoker.js";
import { createProviderRegistry } from "../../../src/providers/registry.js";
import { validateProviderDefinitions, type ProviderDefinitionInput } from "../../../src/providers/schema.js";
import { createLocalKeyring } from "../../../src/secrets/local-keyring.js";
import type { SecretStore } from "../../../src/secrets/secret-store.js";
import { createCredentialsRepo } from "../../../src/storage/credentials-repo.js";
import type { Sql } from "../../../src/storage/db.js";
import { createRefreshLeases } from "../../../src/storage/oauth-refresh-repo.js";
import { createRevocationOutbox } from "../../../src/storage/oauth-revocations-repo.js";
import { createOAuthStatesRepo } from "../../../src/storage/oauth-states-repo.js";
import { captureLogs } from "../logs.js";
import type { TestDb } from "../postgres.js";
import { driveAuthorization } from "./drive.js";

export const CALLBACK_URL = "http://127.0.0.1:8080/oauth/callback";
export const APP_REDIRECT = "https://app.example.test/integrations/done";

export interface RecordedCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that records every request (so tests can prove what was, and was not, sent). */
export function recordingFetch(inner: typeof fetch = fetch) {
  const calls: RecordedCall[] = [];
  const f: typeof fetch = async (input, init) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    calls.push({ url: String(input), method: init?.method ?? "GET", headers, body: typeof init?.body === "string" ? init.body : "" });
    return inner(input, init);
  };
  return { fetch: f, calls };
}

export interface FixtureOptions {
  db: TestDb;
  providers: ProviderDefinitionInput[];
  env?: NodeJS.ProcessEnv;
  /** Shared between replicas: both must open each other's ciphertexts. */
  secrets?: SecretStore;
  clock?: () => Date;
  fetch?: typeof fetch;
  stateTtlSeconds?: number;
  providerTimeoutMs?: number;
  /** Refresh lease length (default: the refresher's). */
  leaseMs?: number;
  sql?: Sql;
}

export async function oauthFixture(opts: FixtureOptions) {
  const secrets = opts.secrets ?? (await createLocalKeyring({ file: path.join(await mkdtemp(path.join(tmpdir(), "lk-oauth-")), "keyring.json") }));
  const sql = opts.sql ?? opts.db.sql;
  const { logger: log, raw: lines } = captureLogs();
  const recorder = recordingFetch(opts.fetch);
  const clock = opts.clock ?? (() => new Date());
  const registry = createProviderRegistry({
    env: opts.env ?? {},
    builtIn: [],
    custom: validateProviderDefinitions(opts.providers),
  });
  const credentials = createCredentialsRepo(sql);
  const states = createOAuthStatesRepo(sql);
  const leases = createRefreshLeases(sql);
  const outbox = createRevocationOutbox(sql);
  const providerTimeoutMs = opts.providerTimeoutMs ?? 5_000;
  const flow = createAuthorizationFlow({
    registry,
    states,
    credentials,
    secrets,
    fetch: recorder.fetch,
    clock,
    log,
    config: {
      callbackUrl: CALLBACK_URL,
      redirectAllowlist: ["https://app.example.test/integrations/"],
      stateTtlSeconds: opts.stateTtlSeconds ?? 600,
      providerTimeoutMs,
    },
  });
  const refresher = createTokenRefresher({
    registry,
    credentials,
    leases,
    revocations: outbox,
    secrets,
    fetch: recorder.fetch,
    clock,
    log,
    providerTimeoutMs,
    leaseMs: opts.leaseMs,
  });
  const revokerDeps: TokenRevokerDeps = { registry, outbox, secrets, fetch: recorder.fetch, clock, log, providerTimeoutMs };
  const revoker = createTokenRevoker(revokerDeps);
  return { secrets, sql, log, lines, calls: recorder.calls, registry, credentials, states, leases, outbox, flow, refresher, revoker, revokerDeps };
}

export type OAuthFixture = Awaited<ReturnType<typeof oauthFixture>>;

/** Authorizes a credential end to end (code + PKCE through the test IdP) and returns it as stored. */
export async function authorizeCredential(fx: OAuthFixture, userId = "u"): Promise<CredentialRow> {
  const started = await fx.flow.start({ userId, provider: "test_idp", scopes: ["openid", "offline_access"], redirectUri: APP_REDIRECT });
  const cb = await driveAuthorization(started.authorizationUrl, CALLBACK_URL);
  const outcome = await fx.flow.exchange(cb.searchParams.get("state")!, cb.searchParams.get("code")!);
  if (!("credential" in outcome)) throw outcome.cause;
  return outcome.credential;
}

/** The refresh_token grants the fixtures sent to the provider, in order. */
export function refreshRequests(...fxs: OAuthFixture[]): RecordedCall[] {
  return fxs.flatMap((fx) => fx.calls.filter((c) => c.url.endsWith("/token") && c.body.includes("grant_type=refresh_token")));
}

/** Every plaintext column of the OAuth-related tables, as one string, to grep for secrets. */
export async function dumpRows(sql: Sql): Promise<string> {
  const tables = ["credentials", "oauth_states", "credential_refresh_leases", "oauth_revocations"];
  const out: unknown[] = [];
  for (const t of tables) out.push(await sql.unsafe(`select * from ${t}`));
  return JSON.stringify(out);
}
