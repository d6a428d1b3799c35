/**
 * The production secret engine: HashiCorp Vault transit through node-vault. Latchkey never holds
 * the key; Vault encrypts, decrypts and rewraps. The key is created `derived`, and every call sends
 * the row's binding context, so Vault derives a key per row and a ciphertext moved to another row
 * does not open there.
 *
 * Ciphertext: lk:transit:<key name>:vault:v<N>:<base64>
 */
import vault from "node-vault";
import { pino } from "pino";
import { FailedPrecondition, Internal, InvalidArgument, isDomainError } from "../domain/errors.js";
import type { Logger } from "../observability/logger.js";
import { createLimiter } from "./limit.js";
import { SecretDecryptError, type DecryptItem, type EncryptItem, type SecretStore } from "./secret-store.js";
import { createTokenKeeper, type TokenKeeperOptions, type VaultAuth } from "./vault-auth.js";
import { inspectVaultError, toDomainError, type VaultOperation } from "./vault-errors.js";

export interface VaultTransitOptions {
  addr: string;
  /** A static token, or AppRole credentials (roleId + secretId, mount default "approle"). */
  token?: string;
  roleId?: string;
  secretId?: string;
  approleMount?: string;
  /** Default "transit". */
  transitMount?: string;
  /** Default "latchkey". */
  keyName?: string;
  namespace?: string;
  /** Per request (default 5000 ms). */
  requestTimeoutMs?: number;
  /** Requests in flight at once (default 16). */
  maxConcurrency?: number;
  /** Items per batch request (default 250). */
  maxBatchItems?: number;
  logger?: Logger;
  renewal?: TokenKeeperOptions;
}

export interface VaultTransit extends SecretStore {
  readonly keyName: string;
}

interface KeyInfo {
  derived?: boolean;
  latest_version?: number;
  supports_encryption?: boolean;
  supports_decryption?: boolean;
  type?: string;
}

interface BatchResult {
  ciphertext?: string;
  plaintext?: string;
  error?: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const ENVELOPE = /^lk:transit:([^:]+):(vault:v\d+:[A-Za-z0-9+/]*={0,2})$/;

const b64 = (s: string | Buffer) => (typeof s === "string" ? Buffer.from(s, "utf8") : s).toString("base64");

export async function createVaultTransit(opts: VaultTransitOptions): Promise<VaultTransit> {
  const log = opts.logger ?? pino({ level: "silent" });
  const mount = (opts.transitMount ?? "transit").replace(/^\/+|\/+$/g, "");
  const keyName = opts.keyName ?? "latchkey";
  if (!NAME.test(keyName)) throw new InvalidArgument("key_name", "letters, digits, '.', '_' and '-' only");
  const maxBatch = opts.maxBatchItems ?? 250;
  const auth = resolveAuth(opts);

  const client = vault({
    endpoint: opts.addr,
    // node-vault's `debug` hook prints request bodies (plaintexts) when DEBUG is set: silence it.
    debug: () => {},
    requestOptions: { timeout: opts.requestTimeoutMs ?? 5_000 },
  });
  // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE from the environment: only our config counts.
  client.token = auth.kind === "token" ? auth.token : "";
  (client as unknown as { namespace?: string }).namespace = opts.namespace;

  const keeper = createTokenKeeper(client, auth, log, opts.renewal);
  const limit = createLimiter(opts.maxConcurrency ?? 16);

  /** One Vault call, bounded, retried once after a re-login when Vault says 403. Raw node-vault errors. */
  function send<T>(fn: () => Promise<unknown>): Promise<T> {
    return limit(async () => {
      const used = client.token;
      try {
        return (await fn()) as T;
      } catch (err) {
        if (inspectVaultError(err).status !== 403) throw err;
        // Another call may already have logged in again since this one started.
        if (client.token !== used || (await keeper.recover())) return (await fn()) as T;
        throw err;
      }
    });
  }

  /** `send`, with failures translated into domain errors. */
  async function call<T>(op: VaultOperation, fn: () => Promise<unknown>): Promise<T> {
    try {
      return await send<T>(fn);
    } catch (err) {
      throw isDomainError(err) ? err : toDomainError(err, op);
    }
  }

  const readKey = () => call<{ data?: KeyInfo }>("admin", () => client.read(`${mount}/keys/${keyName}`));

  async function ensureKey(): Promise<KeyInfo> {
    try {
      return (await client.read(`${mount}/keys/${keyName}`)).data as KeyInfo;
    } catch (err) {
      if (inspectVaultError(err).status !== 404) throw toDomainError(err, "admin");
    }
    log.info({ mount, key: keyName }, "creating vault transit key (aes256-gcm96, derived)");
    await call("admin", () => client.write(`${mount}/keys/${keyName}`, { type: "aes256-gcm96", derived: true }));
    // Older Vaults answer the create with 204: read back either way.
    return (await readKey()).data ?? {};
  }

  try {
    await keeper.start();
    const info = await ensureKey();
    if (info.derived !== true) {
      throw new FailedPrecondition(
        `vault transit key "${keyName}" at ${mount}/ exists but is not derived: Latchkey binds each ciphertext to ` +
          "its row with a key-derivation context, so it needs a key created with derived=true " +
          "(set VAULT_TRANSIT_KEY to a new key name and Latchkey creates one)",
      );
    }
    if (info.supports_encryption === false || info.supports_decryption === false) {
      throw new FailedPrecondition(`vault transit key "${keyName}" (type ${info.type}) cannot encrypt and decrypt`);
    }
  } catch (err) {
    keeper.close();
    throw err;
  }

  const wrap = (ciphertext: unknown): string => {
    if (typeof ciphertext !== "string" || !ciphertext.startsWith("vault:v")) {
      throw new Internal({ cause: new Error("vault answered without a ciphertext") });
    }
    return `lk:transit:${keyName}:${ciphertext}`;
  };

  const unwrap = (ciphertext: string): string => {
    const m = ENVELOPE.exec(ciphertext);
    if (!m) throw new SecretDecryptError({ cause: new Error("not a vault transit ciphertext") });
    if (m[1] !== keyName) throw new SecretDecryptError({ cause: new Error("made with another transit key") });
    return m[2]!;
  };

  /**
   * Sends batch_input in chunks. Vault answers 400 when any item failed, with every item's result in
   * batch_results; a failed item fails the whole call, naming its index only (never other items).
   */
  async function batch(op: VaultOperation, path: string, input: Array<Record<string, string>>): Promise<BatchResult[]> {
    const out: BatchResult[] = [];
    for (let i = 0; i < input.length; i += maxBatch) {
      const chunk = input.slice(i, i + maxBatch);
      let results: BatchResult[] | undefined;
      try {
        const res = await send<{ data?: { batch_results?: BatchResult[] } }>(() =>
          client.write(path, { batch_input: chunk }),
        );
        results = res.data?.batch_results;
      } catch (err) {
        if (isDomainError(err)) throw err;
        const f = inspectVaultError(err);
        const partial = (f.body as { data?: { batch_results?: BatchResult[] } } | undefined)?.data?.batch_results;
        if (f.status !== 400 || !Array.isArray(partial)) throw toDomainError(err, op);
        results = partial;
      }
      if (!Array.isArray(results) || results.length !== chunk.length) {
        throw new Internal({ cause: new Error(`vault ${op}: batch_results do not match batch_input`) });
      }
      const failed = results.findIndex((r) => r.error);
      if (failed >= 0) throw batchItemError(op, i + failed, results[failed]!.error!);
      out.push(...results);
    }
    return out;
  }

  const encryptOne = async (plaintext: Buffer, context: string) => {
    const res = await call<{ data?: { ciphertext?: string } }>("encrypt", () =>
      client.write(`${mount}/encrypt/${keyName}`, { plaintext: b64(plaintext), context: b64(context) }),
    );
    return wrap(res.data?.ciphertext);
  };

  const store: VaultTransit = {
    engine: "vault-transit",
    keyName,
    encrypt: encryptOne,
    async decrypt(ciphertext, context) {
      const inner = unwrap(ciphertext);
      const res = await call<{ data?: { plaintext?: string } }>("decrypt", () =>
        client.write(`${mount}/decrypt/${keyName}`, { ciphertext: inner, context: b64(context) }),
      );
      if (typeof res.data?.plaintext !== "string") throw new Internal({ cause: new Error("vault: no plaintext") });
      return Buffer.from(res.data.plaintext, "base64");
    },
    async rewrap(ciphertext, context) {
      const inner = unwrap(ciphertext);
      const res = await call<{ data?: { ciphertext?: string } }>("decrypt", () =>
        client.write(`${mount}/rewrap/${keyName}`, { ciphertext: inner, context: b64(context) }),
      );
      return wrap(res.data?.ciphertext);
    },
    async encryptBatch(items: EncryptItem[]) {
      if (items.length === 0) return [];
      const input = items.map((i) => ({ plaintext: b64(i.plaintext), context: b64(i.context) }));
      return (await batch("encrypt", `${mount}/encrypt/${keyName}`, input)).map((r) => wrap(r.ciphertext));
    },
    async decryptBatch(items: DecryptItem[]) {
      if (items.length === 0) return [];
      const input = items.map((i) => ({ ciphertext: unwrap(i.ciphertext), context: b64(i.context) }));
      const results = await batch("decrypt", `${mount}/decrypt/${keyName}`, input);
      return results.map((r, i) => {
        // Fail closed: a result without plaintext must never become an empty secret.
        if (typeof r.plaintext !== "string") throw batchItemError("decrypt", i, "no plaintext in the answer");
        return Buffer.from(r.plaintext, "base64");
      });
    },
    async rewrapBatch(items: DecryptItem[]) {
      if (items.length === 0) return [];
      const input = items.map((i) => ({ ciphertext: unwrap(i.ciphertext), context: b64(i.context) }));
      return (await batch("decrypt", `${mount}/rewrap/${keyName}`, input)).map((r) => wrap(r.ciphertext));
    },
    async latestKeyVersion() {
      const v = (await readKey()).data?.latest_version;
      if (typeof v !== "number") throw new Internal({ cause: new Error("vault: key without latest_version") });
      return v;
    },
    async ping() {
      await readKey();
    },
    async close() {
      keeper.close();
    },
  };
  return store;
}

function batchItemError(op: VaultOperation, index: number, message: string) {
  const cause = new Error(`vault ${op}: batch item ${index}: ${message.slice(0, 200)}`);
  return op === "decrypt" ? new SecretDecryptError({ cause }) : new Internal({ cause });
}

function resolveAuth(opts: VaultTransitOptions): VaultAuth {
  if (opts.roleId || opts.secretId) {
    if (!opts.roleId || !opts.secretId) throw new InvalidArgument("vault_secret_id", "AppRole needs both role id and secret id");
    return { kind: "approle", roleId: opts.roleId, secretId: opts.secretId, mount: opts.approleMount ?? "approle" };
  }
  if (!opts.token) throw new InvalidArgument("vault_token", "a Vault token or AppRole credentials are required");
  return { kind: "token", token: opts.token };
}
