/**
 * Token hand-out: the executors' hot path.
 *
 * Fast path: a cached decrypted token for (credential, version) is served once the audit gate
 * confirms, in a statement batched with every other hand-out of the same moment, that the row is
 * still at that version and active, and has recorded the hand-out. One Postgres round trip per
 * batch, no secret-store call.
 * Slow path: load the row, check ownership and status, refresh through the TokenRefresher when
 * the token expires within `minValidSeconds`, decrypt, then pass the same gate. If the gate finds
 * the row moved on (refreshed or deleted elsewhere), start again from a fresh read.
 */
import type { CredentialRow } from "../credentials/credential.js";
import type { TokenRefresher } from "../credentials/ports.js";
import { FailedPrecondition, NeedsReauth, NotFound, Unavailable } from "../errors.js";
import type { SecretStore } from "../../secrets/secret-store.js";
import { rowContext } from "../../secrets/secret-store.js";
import type { CachedToken, SecretCache } from "./secret-cache.js";

/** Frozen, and the same object for every hand-out of one cached (credential, version). */
export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresAt: Date | null;
  readonly scopes: readonly string[];
  readonly provider: string;
  readonly credentialId: string;
}

export interface HandoutGate {
  /** Records the hand-out if (credential, user, version) is current and active; false otherwise. */
  (h: { caller: string; userId: string; credentialId: string; version: number }): Promise<boolean>;
}

export interface TokenServiceDeps {
  load: (credentialId: string) => Promise<CredentialRow | undefined>;
  gate: HandoutGate;
  secrets: SecretStore;
  refresher: TokenRefresher;
  cache: SecretCache;
  /** Wall clock (token expiry) and monotonic clock (cache age); injectable for tests. */
  now?: () => number;
  monotonic?: () => number;
}

/** How often the slow path may find the row moved on under it before giving up (it is then very hot). */
const MAX_ATTEMPTS = 4;

export interface TokenService {
  getAccessToken(caller: string, userId: string, credentialId: string, minValidSeconds: number): Promise<IssuedToken>;
  /** Forces a refresh (RefreshCredential); returns the new row. */
  refresh(userId: string, credentialId: string): Promise<CredentialRow>;
  /** Forgets a cached token (after a local write). */
  forget(credentialId: string): void;
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const now = deps.now ?? Date.now;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const { cache } = deps;

  const validFor = (expiresAt: Date | null, minValidSeconds: number) =>
    expiresAt === null || expiresAt.getTime() - now() >= minValidSeconds * 1000;

  async function loadOwned(userId: string, credentialId: string): Promise<CredentialRow> {
    const row = await deps.load(credentialId);
    if (!row || row.userId !== userId) throw new NotFound("credential");
    return row;
  }

  function usable(row: CredentialRow): void {
    if (row.status === "needs_reauth") throw new NeedsReauth(row.id);
    if (row.status === "revoked") throw new FailedPrecondition(`credential ${row.id} is revoked`);
  }

  async function decrypt(row: CredentialRow): Promise<CachedToken> {
    const plaintext = await deps.secrets.decrypt(row.secretCiphertext, rowContext("credential", row.userId, row.id));
    return {
      userId: row.userId,
      version: row.version,
      issued: Object.freeze({
        accessToken: plaintext.toString("utf8"),
        tokenType: row.tokenType,
        expiresAt: row.accessTokenExpiresAt,
        scopes: Object.freeze([...row.scopes]),
        provider: row.provider,
        credentialId: row.id,
      }),
      storedAt: monotonic(),
    };
  }

  return {
    async getAccessToken(caller, userId, credentialId, minValidSeconds) {
      const hit = cache.get(credentialId, monotonic());
      if (hit && hit.userId === userId && validFor(hit.issued.expiresAt, minValidSeconds)) {
        if (await deps.gate({ caller, userId, credentialId, version: hit.version })) return hit.issued;
        cache.delete(credentialId);
      }
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        let row = await loadOwned(userId, credentialId);
        usable(row);
        if (row.kind === "oauth2" && !validFor(row.accessTokenExpiresAt, minValidSeconds)) {
          row = await deps.refresher.refresh(row, { force: false, minValidSeconds });
          usable(row);
          // Never hand out less than asked (the provider's tokens may not live that long).
          if (!validFor(row.accessTokenExpiresAt, minValidSeconds)) {
            throw new FailedPrecondition(`credential ${credentialId}: min_valid_seconds ${minValidSeconds} cannot be met`);
          }
        }
        const entry = await decrypt(row);
        if (await deps.gate({ caller, userId, credentialId, version: row.version })) {
          cache.set(credentialId, entry);
          return entry.issued;
        }
        cache.delete(credentialId);
      }
      throw new Unavailable("credential", { detail: "changed concurrently too often; retry" });
    },

    async refresh(userId, credentialId) {
      const row = await loadOwned(userId, credentialId);
      if (row.kind !== "oauth2") throw new FailedPrecondition(`credential ${credentialId} is not an OAuth credential`);
      if (row.status === "revoked") throw new FailedPrecondition(`credential ${credentialId} is revoked`);
      cache.delete(credentialId);
      return deps.refresher.refresh(row, { force: true, minValidSeconds: 0 });
    },

    forget(credentialId) {
      cache.delete(credentialId);
    },
  };
}
