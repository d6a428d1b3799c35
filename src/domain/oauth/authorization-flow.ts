/**
 * The authorization-code flow: start (a single-use state bound to user, provider, scopes and
 * redirect URI, with an encrypted PKCE verifier), exchange (consume the state atomically, swap the
 * code for tokens, read the username, store or replace the credential), and status.
 * Client-credentials providers complete at start: there is no user consent to wait for.
 */
import { randomUUID } from "node:crypto";
import type { CredentialRow, TokenUpdate } from "../credentials/credential.js";
import { FailedPrecondition, InvalidArgument, NotFound, isDomainError, type DomainError } from "../errors.js";
import type { ProviderRegistry, ResolvedProvider } from "../../providers/types.js";
import { rowContext, type SecretStore } from "../../secrets/secret-store.js";
import type { Logger } from "../../observability/logger.js";
import { buildAuthorizationUrl } from "./authorize-url.js";
import { ProviderOAuthError } from "./oauth-errors.js";
import { hashState, randomToken, s256Challenge } from "./pkce.js";
import type { CredentialStore, OAuthStateRow, OAuthStatesRepo } from "./ports.js";
import { send, type Fetch } from "./provider-http.js";
import { isRedirectAllowed, withParams } from "./redirect-allowlist.js";
import {
  authorizationCodeGrantRequest,
  clientCredentialsGrantRequest,
  processTokenResponse,
  type TokenSet,
} from "./token-endpoint.js";
import { resolveUsername } from "./userinfo.js";

export interface AuthorizationFlowDeps {
  registry: ProviderRegistry;
  states: OAuthStatesRepo;
  credentials: CredentialStore;
  secrets: SecretStore;
  fetch: Fetch;
  clock: () => Date;
  log: Logger;
  config: { callbackUrl: string; redirectAllowlist: readonly string[]; stateTtlSeconds: number; providerTimeoutMs: number };
}

export interface StartInput {
  userId: string;
  provider: string;
  scopes: string[];
  redirectUri: string;
  credentialId?: string;
}

export interface Started {
  authorizationUrl: string;
  state: string;
  expiresAt: Date;
}

/** What an exchange led to; the state was consumed either way. */
export type ExchangeOutcome =
  | { redirectUri: string; credential: CredentialRow }
  | { redirectUri: string; error: string; cause: DomainError };

export type AuthorizationStatus = "pending" | "completed" | "failed" | "expired";

export interface AuthorizationView {
  status: AuthorizationStatus;
  provider: string;
  userId: string;
  expiresAt: Date;
  credential?: CredentialRow;
  error?: string;
}

/** The state is unknown, expired or already used. The callback answers 400 without redirecting. */
export class StateRefused extends FailedPrecondition {
  constructor() {
    super("authorization state is unknown, expired or already used");
  }
}

const OAUTH_ERROR = /^[\x20-\x7e]{1,64}$/;

export function createAuthorizationFlow(deps: AuthorizationFlowDeps) {
  const http = { fetch: deps.fetch, timeoutMs: deps.config.providerTimeoutMs, log: deps.log };

  function oauthProvider(name: string): ResolvedProvider {
    const p = deps.registry.resolve(name);
    if (!p) throw new NotFound("provider");
    if (!p.definition.oauth) throw new FailedPrecondition(`provider ${name} does not use OAuth`);
    if (!p.client) throw new FailedPrecondition(`provider ${name} is not configured: no client id/secret`);
    return p;
  }

  async function encryptTokens(userId: string, credentialId: string, t: TokenSet) {
    const [secret, refresh] = await deps.secrets.encryptBatch([
      { plaintext: Buffer.from(t.accessToken, "utf8"), context: rowContext("credential", userId, credentialId) },
      ...(t.refreshToken
        ? [{ plaintext: Buffer.from(t.refreshToken, "utf8"), context: rowContext("credential", userId, credentialId, "refresh_token") }]
        : []),
    ]);
    return { secret: secret!, refresh };
  }

  /** Stores a new credential, or replaces the tokens of the one being re-authorized. */
  async function store(p: ResolvedProvider, s: Pick<OAuthStateRow, "userId" | "scopes" | "credentialId">, t: TokenSet) {
    const username = await resolveUsername(p, t, http);
    const scopes = t.scopes ?? s.scopes;
    if (s.credentialId) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const current = await deps.credentials.get(s.userId, s.credentialId);
        if (!current) throw new NotFound("credential");
        const { secret, refresh } = await encryptTokens(s.userId, current.id, t);
        const update: TokenUpdate = { secretCiphertext: secret, accessTokenExpiresAt: t.expiresAt, scopes, status: "active" };
        if (refresh) update.refreshTokenCiphertext = refresh;
        if (username) update.username = username;
        const row = await deps.credentials.replaceTokens(current.id, current.version, update);
        if (row) return row;
      }
      throw new FailedPrecondition("credential changed concurrently; authorize again");
    }
    const id = randomUUID();
    const { secret, refresh } = await encryptTokens(s.userId, id, t);
    return deps.credentials.insert({
      id,
      userId: s.userId,
      provider: p.summary.name,
      kind: "oauth2",
      title: username ? `${p.summary.displayName} (${username})` : p.summary.displayName,
      scopes,
      username,
      metadata: {},
      secretCiphertext: secret,
      refreshTokenCiphertext: refresh ?? null,
      accessTokenExpiresAt: t.expiresAt,
      tokenType: "Bearer",
    });
  }

  return {
    async start(input: StartInput): Promise<Started> {
      if (!isRedirectAllowed(input.redirectUri, deps.config.redirectAllowlist)) {
        throw new InvalidArgument("redirect_uri", "is not in the configured allow-list");
      }
      const p = oauthProvider(input.provider);
      const oauth = p.definition.oauth!;
      if (input.credentialId) {
        const existing = await deps.credentials.get(input.userId, input.credentialId);
        if (!existing || existing.provider !== p.summary.name || existing.kind !== "oauth2") throw new NotFound("credential");
      }
      const scopes = input.scopes.length > 0 ? input.scopes : [...oauth.default_scopes];
      const id = randomUUID();
      const state = randomToken(32);
      const now = deps.clock();
      const expiresAt = new Date(now.getTime() + deps.config.stateTtlSeconds * 1000);
      const base = {
        id,
        stateHash: hashState(state),
        userId: input.userId,
        provider: p.summary.name,
        scopes,
        redirectUri: input.redirectUri,
        credentialId: input.credentialId ?? null,
        expiresAt,
      };

      if (oauth.grant === "client_credentials") {
        const res = await send(p.summary.name, clientCredentialsGrantRequest(p, scopes), http);
        const row = await store(p, { userId: input.userId, scopes, credentialId: input.credentialId ?? null }, processTokenResponse(p, res, now));
        await deps.states.insert({ ...base, codeVerifierCiphertext: null, status: "completed", resultCredentialId: row.id });
        return { authorizationUrl: withParams(input.redirectUri, { state, credential_id: row.id }), state, expiresAt };
      }

      let codeVerifierCiphertext: string | null = null;
      let codeChallenge: string | undefined;
      if (oauth.pkce) {
        const verifier = randomToken(32);
        codeChallenge = s256Challenge(verifier);
        codeVerifierCiphertext = await deps.secrets.encrypt(Buffer.from(verifier, "ascii"), rowContext("oauth_state", input.userId, id));
      }
      const authorizationUrl = buildAuthorizationUrl(p, { state, redirectUri: deps.config.callbackUrl, scopes, codeChallenge });
      await deps.states.insert({ ...base, codeVerifierCiphertext });
      return { authorizationUrl, state, expiresAt };
    },

    /**
     * Consumes the state (throws StateRefused when unknown, expired or used) and exchanges the code.
     * Provider failures come back as an outcome with an OAuth error code, not as a throw, so the
     * callback can redirect with `error`.
     */
    async exchange(state: string, code: string): Promise<ExchangeOutcome> {
      if (code.length === 0) throw new InvalidArgument("code", "is required");
      const s = await deps.states.consume(hashState(state), deps.clock());
      if (!s) throw new StateRefused();
      try {
        const p = oauthProvider(s.provider);
        const verifier = s.codeVerifierCiphertext
          ? (await deps.secrets.decrypt(s.codeVerifierCiphertext, rowContext("oauth_state", s.userId, s.id))).toString("ascii")
          : undefined;
        const req = authorizationCodeGrantRequest(p, { code, redirectUri: deps.config.callbackUrl, codeVerifier: verifier });
        const tokens = processTokenResponse(p, await send(p.summary.name, req, http), deps.clock());
        const credential = await store(p, s, tokens);
        await deps.states.complete(s.id, credential.id);
        deps.log.info({ provider: s.provider, credentialId: credential.id, reauthorized: s.credentialId !== null }, "authorization completed");
        return { redirectUri: s.redirectUri, credential };
      } catch (err) {
        const error =
          err instanceof ProviderOAuthError ? err.error : isDomainError(err) && err.code === "unavailable" ? "temporarily_unavailable" : "server_error";
        await deps.states.fail(s.id, error).catch(() => {});
        deps.log.warn({ provider: s.provider, error, err: isDomainError(err) ? err.message : "error" }, "authorization failed");
        // A refused code is the caller's input; other failures keep their own class.
        const cause: DomainError =
          err instanceof ProviderOAuthError && err.error === "invalid_grant"
            ? new InvalidArgument("code", "the provider refused the authorization code (invalid_grant)")
            : isDomainError(err)
              ? err
              : new FailedPrecondition("authorization failed");
        return { redirectUri: s.redirectUri, error, cause };
      }
    },

    /** The provider sent the user back with `error=…` (e.g. access_denied). */
    async fail(state: string, error: string): Promise<{ redirectUri: string; error: string }> {
      const s = await deps.states.consume(hashState(state), deps.clock());
      if (!s) throw new StateRefused();
      const safe = OAUTH_ERROR.test(error) ? error : "invalid_request";
      await deps.states.fail(s.id, safe);
      return { redirectUri: s.redirectUri, error: safe };
    },

    async get(state: string): Promise<AuthorizationView> {
      const s = await deps.states.findByHash(hashState(state));
      if (!s) throw new NotFound("authorization");
      const view: AuthorizationView = { status: "pending", provider: s.provider, userId: s.userId, expiresAt: s.expiresAt };
      if (s.status === "completed") {
        view.status = "completed";
        const row = s.resultCredentialId ? await deps.credentials.getById(s.resultCredentialId) : undefined;
        if (row) view.credential = row;
      } else if (s.status === "failed") {
        view.status = "failed";
        view.error = s.error ?? "server_error";
      } else if (s.expiresAt <= deps.clock()) {
        view.status = "expired";
      }
      return view;
    },
  };
}

export type AuthorizationFlow = ReturnType<typeof createAuthorizationFlow>;
