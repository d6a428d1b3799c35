/**
 * The secret-store port. Every secret Latchkey keeps (API keys, access and refresh tokens,
 * PKCE verifiers, webhook signing secrets) goes through it; Postgres only ever sees its output.
 *
 * Each ciphertext is bound to the row that holds it through `context` (see `rowContext`):
 * decrypting with another row's context fails. Ciphertexts are self-describing:
 *   lk:<engine>:<key name>:<engine-specific ciphertext carrying the key version>
 * so a reader can tell which engine and key version made it (`describeCiphertext`).
 *
 * Failures fail closed: `decrypt` throws, it never returns an empty secret.
 * Errors thrown are domain errors: `Unavailable("vault")` when the engine cannot be reached,
 * `SecretDecryptError` (internal) when a ciphertext does not open with the given context.
 */
import { Internal } from "../domain/errors.js";

export type SecretEngineName = "vault-transit" | "local-keyring";

export interface EncryptItem {
  plaintext: Buffer;
  context: string;
}

export interface DecryptItem {
  ciphertext: string;
  context: string;
}

export interface SecretStore {
  readonly engine: SecretEngineName;
  encrypt(plaintext: Buffer, context: string): Promise<string>;
  decrypt(ciphertext: string, context: string): Promise<Buffer>;
  /** Re-encrypts to the newest key version without exposing the plaintext to the caller. */
  rewrap(ciphertext: string, context: string): Promise<string>;
  encryptBatch(items: EncryptItem[]): Promise<string[]>;
  decryptBatch(items: DecryptItem[]): Promise<Buffer[]>;
  rewrapBatch(items: DecryptItem[]): Promise<string[]>;
  /** The key version new ciphertexts are made with. */
  latestKeyVersion(): Promise<number>;
  /** Throws Unavailable when the engine cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A ciphertext did not open: tampered, moved to another row, or its key version retired. */
export class SecretDecryptError extends Internal {}

/**
 * The binding context for a secret held by a row: the owning user and the row's own id,
 * with the kind of row so that ids of different tables can never collide. `field` tells apart
 * secrets of one row that must not be swapped: a refresh token moved into the access-token column
 * must not decrypt, or GetAccessToken would hand it out.
 */
export function rowContext(
  kind: "credential" | "oauth_state" | "webhook",
  userId: string,
  rowId: string,
  field?: "refresh_token",
): string {
  const base = `${kind}\u0000${userId}\u0000${rowId}`;
  return field ? `${base}\u0000${field}` : base;
}

export interface CiphertextInfo {
  engine: SecretEngineName;
  keyName: string;
  keyVersion: number;
}

const ENGINE_TAGS: Record<string, SecretEngineName> = { transit: "vault-transit", local: "local-keyring" };

/** Reads the envelope of a stored ciphertext: `lk:transit:<key>:vault:v3:...` or `lk:local:<key>:v2:...`. */
export function describeCiphertext(ciphertext: string): CiphertextInfo | undefined {
  const m = /^lk:(transit|local):([^:]+):(?:vault:)?v(\d+):/.exec(ciphertext);
  if (!m) return undefined;
  return { engine: ENGINE_TAGS[m[1]!]!, keyName: m[2]!, keyVersion: Number(m[3]) };
}
