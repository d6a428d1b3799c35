/**
 * A stored credential as the domain sees it: metadata plus ciphertexts (never plaintext).
 * `version` bumps on every change of secret or status; writers compare it (optimistic concurrency)
 * and caches key on it, so nothing stale is ever served.
 */
export type CredentialKind = "oauth2" | "api_key";
export type CredentialStatus = "active" | "needs_reauth" | "revoked";

export interface CredentialRow {
  id: string;
  userId: string;
  provider: string;
  kind: CredentialKind;
  title: string;
  scopes: string[];
  username: string;
  status: CredentialStatus;
  metadata: Record<string, string>;
  /** The API key or the OAuth access token, as secret-store ciphertext. */
  secretCiphertext: string;
  refreshTokenCiphertext: string | null;
  /** Null for tokens that do not expire (and API keys). */
  accessTokenExpiresAt: Date | null;
  /** "Bearer" for OAuth tokens, "ApiKey" for keys. */
  tokenType: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A credential about to be inserted: the row minus what the database sets (status, version, timestamps). */
/** What listings read: everything but the ciphertexts, which they never need. */
export type CredentialMeta = Omit<CredentialRow, "secretCiphertext" | "refreshTokenCiphertext">;

export type NewCredential = Omit<CredentialRow, "status" | "version" | "createdAt" | "updatedAt">;

/** New tokens from an exchange or a refresh, already encrypted. */
export interface TokenUpdate {
  secretCiphertext: string;
  /** Undefined keeps the stored refresh token (providers that do not rotate); null clears it. */
  refreshTokenCiphertext?: string | null;
  accessTokenExpiresAt: Date | null;
  scopes?: string[];
  username?: string;
  status?: CredentialStatus;
}
