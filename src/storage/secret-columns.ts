/**
 * Every column holding secret-store ciphertext, with how to rebuild the binding context each
 * ciphertext was made with. Key rotation (src/secrets/rewrap.ts) walks this list, so a table that
 * stores ciphertext must appear here, or a later min_decryption_version would lock its rows out.
 * Adding a table is one entry.
 */
import { revocationContext } from "../domain/refresh/token-revoker.js";
import { rowContext } from "../secrets/secret-store.js";

export interface SecretColumns {
  table: string;
  /** The primary key: a single, orderable column (rewrap pages by it). */
  idColumn: string;
  /** Nullable columns are fine: null is skipped. */
  ciphertextColumns: readonly string[];
  /** Columns besides the id that `context` reads. */
  contextColumns: readonly string[];
  /** The context `column` of the row was encrypted with (ids arrive as strings). */
  context(row: Record<string, unknown>, column: string): string;
}

const s = (v: unknown) => String(v);

export const SECRET_COLUMNS: readonly SecretColumns[] = [
  {
    table: "credentials",
    idColumn: "id",
    ciphertextColumns: ["secret_ciphertext", "refresh_token_ciphertext"],
    contextColumns: ["user_id"],
    context: (r, column) =>
      rowContext("credential", s(r.user_id), s(r.id), column === "refresh_token_ciphertext" ? "refresh_token" : undefined),
  },
  {
    table: "oauth_states",
    idColumn: "id",
    ciphertextColumns: ["code_verifier_ciphertext"],
    contextColumns: ["user_id"],
    context: (r) => rowContext("oauth_state", s(r.user_id), s(r.id)),
  },
  {
    // Tokens of deleted credentials awaiting revocation keep their credential's context.
    table: "oauth_revocations",
    idColumn: "id",
    ciphertextColumns: ["token_ciphertext"],
    contextColumns: ["user_id", "credential_id", "token_kind"],
    context: (r) => revocationContext({ userId: s(r.user_id), credentialId: s(r.credential_id), tokenKind: r.token_kind as "refresh_token" }),
  },
  {
    table: "webhooks",
    idColumn: "id",
    ciphertextColumns: ["secret_ciphertext", "previous_secret_ciphertext"],
    contextColumns: ["user_id"],
    context: (r) => rowContext("webhook", s(r.user_id), s(r.id)),
  },
];
