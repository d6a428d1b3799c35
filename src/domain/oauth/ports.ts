/**
 * What the OAuth domain needs from storage. Postgres implementations live in
 * src/storage/oauth-*-repo.ts; the credentials table is reached through the lead's CredentialsRepo.
 */
import type { CredentialRow, CredentialStatus, NewCredential, TokenUpdate } from "../credentials/credential.js";

export type AuthorizationState = "pending" | "exchanging" | "completed" | "failed";

export interface OAuthStateRow {
  id: string;
  userId: string;
  provider: string;
  scopes: string[];
  redirectUri: string;
  credentialId: string | null;
  codeVerifierCiphertext: string | null;
  status: AuthorizationState;
  error: string | null;
  resultCredentialId: string | null;
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
}

export interface NewOAuthState {
  id: string;
  stateHash: string;
  userId: string;
  provider: string;
  scopes: string[];
  redirectUri: string;
  credentialId: string | null;
  codeVerifierCiphertext: string | null;
  expiresAt: Date;
  status?: AuthorizationState;
  resultCredentialId?: string | null;
}

export interface OAuthStatesRepo {
  insert(s: NewOAuthState): Promise<void>;
  findByHash(stateHash: string): Promise<OAuthStateRow | undefined>;
  /**
   * Atomically moves a pending, unexpired state to "exchanging" and drops its verifier from the
   * row; returns the row as it was (with the verifier). Undefined when unknown, expired or used.
   */
  consume(stateHash: string, now: Date): Promise<OAuthStateRow | undefined>;
  complete(id: string, credentialId: string): Promise<void>;
  fail(id: string, error: string): Promise<void>;
  /** Deletes states expired for longer than `olderThan`. */
  purgeExpired(before: Date): Promise<number>;
}

/** The credentials-table operations the OAuth side uses (the lead's CredentialsRepo satisfies it). */
export interface CredentialStore {
  insert(c: NewCredential & { kind: "oauth2" }): Promise<CredentialRow>;
  get(userId: string, id: string): Promise<CredentialRow | undefined>;
  getById(id: string): Promise<CredentialRow | undefined>;
  replaceTokens(id: string, expectedVersion: number, update: TokenUpdate): Promise<CredentialRow | undefined>;
  setStatus(id: string, expectedVersion: number, status: CredentialStatus): Promise<CredentialRow | undefined>;
}

export interface RefreshState {
  nextAttemptAt: Date | null;
  inDoubtSince: Date | null;
  attemptStartedAt: Date | null;
  /** When the provider issued the tokens of the last successful refresh (the refresher's clock). */
  lastRefreshAt: Date | null;
}

export interface RefreshLeases {
  /** Takes the lease when free or expired (database clock). True when this owner holds it now. */
  acquire(credentialId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease to now + ttl if this owner still holds it (heartbeat). False when lost. */
  renew(credentialId: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Just before a refresh token goes to the provider: extends the lease to now + ttl and records
   * that an attempt is in flight, if this owner still holds the lease. False when lost: do not send.
   */
  beginAttempt(credentialId: string, owner: string, ttlMs: number): Promise<boolean>;
  release(credentialId: string, owner: string): Promise<void>;
  /**
   * Backoff state: no refresh before `nextAttemptAt`; `inDoubt` after a timeout; `attemptStartedAt`
   * when an attempt was sent and its outcome never recorded (its owner lost the lease or died).
   */
  state(credentialId: string): Promise<RefreshState | undefined>;
  /** Both close the attempt begun with `beginAttempt`. `at`: when the provider answered. */
  recordSuccess(credentialId: string, at: Date): Promise<void>;
  recordFailure(credentialId: string, f: { error: string; inDoubt: boolean; at: Date; retryAt: Date }): Promise<void>;
}

export interface RefreshCandidate {
  id: string;
  /** True when chosen because it sat unrefreshed too long rather than because it expires soon. */
  idle: boolean;
}

export interface RefreshCandidates {
  due(q: { now: Date; expiringBefore: Date; idleBefore: Date; limit: number }): Promise<RefreshCandidate[]>;
}

export interface PendingRevocation {
  id: string;
  credentialId: string;
  userId: string;
  provider: string;
  tokenKind: "refresh_token" | "access_token";
  tokenCiphertext: string;
  attempts: number;
}

export interface RevocationOutbox {
  enqueue(r: Omit<PendingRevocation, "id" | "attempts"> & { error: string; retryAt: Date }): Promise<void>;
  /** Claims due rows (pushing their next attempt to `leaseUntil` so other replicas skip them). */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<PendingRevocation[]>;
  done(id: string): Promise<void>;
  retryLater(id: string, error: string, retryAt: Date): Promise<void>;
}
