/**
 * Translation of node-vault failures into domain errors, in one place.
 *
 * node-vault rejects with an ApiResponseError (`response.statusCode`, `response.body`) when Vault
 * answered, and with the raw axios error when it did not. Neither may travel as a `cause`: the
 * axios error holds the request (plaintext, X-Vault-Token header) and a batch response body holds
 * other items' plaintexts. So causes are rebuilt from safe parts only: status, Vault's first error
 * string, the socket error code.
 */
import { Internal, Unavailable, type DomainError } from "../domain/errors.js";
import { SecretDecryptError } from "./secret-store.js";

export interface VaultFailure {
  /** HTTP status when Vault answered. */
  status?: number;
  /** Socket-level code when it did not (ECONNREFUSED, ECONNABORTED for timeouts...). */
  code?: string;
  /** Vault's first error string, or a description of the transport failure. */
  message: string;
  /** Only read for batch_results; never logged or attached. */
  body?: unknown;
}

export function inspectVaultError(err: unknown): VaultFailure {
  const e = err as { response?: { statusCode?: number; body?: unknown }; code?: unknown; message?: unknown } | null;
  const status = e?.response?.statusCode;
  if (typeof status === "number") {
    const errors = (e?.response?.body as { errors?: unknown } | undefined)?.errors;
    const first = Array.isArray(errors) && typeof errors[0] === "string" ? errors[0] : `status ${status}`;
    return { status, message: first.slice(0, 200), body: e?.response?.body };
  }
  const code = typeof e?.code === "string" ? e.code : undefined;
  // Transport errors' messages are of the form "connect ECONNREFUSED 127.0.0.1:8200" or
  // "timeout of 5000ms exceeded": safe. Anything else (schema validation) keeps its class name only.
  const message = code ? `${code}: ${String(e?.message ?? "").slice(0, 200)}` : (err as Error)?.name ?? "error";
  return { ...(code ? { code } : {}), message };
}

const TIMEOUT_CODES = new Set(["ECONNABORTED", "ETIMEDOUT", "ERR_CANCELED"]);

/** Vault unreachable, sealed, overloaded, or refusing our identity: callers may retry later. */
export function isUnavailable(f: VaultFailure): boolean {
  return f.status === undefined ? f.code !== undefined : f.status >= 500 || f.status === 429 || f.status === 403;
}

export function unavailableDetail(f: VaultFailure): string {
  if (f.status === undefined) return f.code && TIMEOUT_CODES.has(f.code) ? "request timed out" : "unreachable";
  if (f.status === 503 && /sealed/i.test(f.message)) return "sealed";
  if (f.status === 403) return "permission denied (check VAULT_TOKEN or the AppRole credentials and their policy)";
  return `status ${f.status}`;
}

export type VaultOperation = "encrypt" | "decrypt" | "admin";

/**
 * The domain error for a failed call. On decrypt and rewrap, Vault's 400 means the ciphertext did
 * not open (tampered, wrong context, retired version): SecretDecryptError. Elsewhere a 4xx is a bug.
 */
export function toDomainError(err: unknown, op: VaultOperation): DomainError {
  const f = inspectVaultError(err);
  const cause = new Error(`vault ${op}: ${f.message}`);
  if (isUnavailable(f)) return new Unavailable("vault", { cause, detail: unavailableDetail(f) });
  if (op === "decrypt" && (f.status === 400 || f.status === 404)) return new SecretDecryptError({ cause });
  return new Internal({ cause });
}
