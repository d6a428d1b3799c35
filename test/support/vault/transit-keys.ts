/**
 * The transit key ring of the test Vault: named keys with versions, derivation and
 * min_decryption/min_encryption versions, doing real AES-256-GCM as Vault's keysutil does:
 * ciphertext "vault:v<N>:" + base64(nonce(12) | ct | tag(16)); a derived key is
 * HKDF-SHA256(version key, salt none, info = context), so each context gets its own key.
 * Error texts are Vault's own, so code written against this server meets the same strings.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** A caller mistake: Vault answers 400 with the message (errutil.UserError). */
export class UserError extends Error {}

export interface TransitKey {
  name: string;
  type: "aes256-gcm96";
  derived: boolean;
  versions: Map<number, { key: Buffer; createdAt: number }>;
  latestVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  deletionAllowed: boolean;
}

const MISSING_CONTEXT =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, " +
  "per-request information must be included in order to perform operations with the key";

export class TransitKeys {
  private readonly keys = new Map<string, TransitKey>();

  get(name: string): TransitKey | undefined {
    return this.keys.get(name);
  }

  delete(name: string): void {
    this.keys.delete(name);
  }

  /** POST keys/:name — idempotent, as in Vault: an existing key is left as it is. */
  create(name: string, opts: { type?: string; derived?: boolean } = {}): TransitKey {
    const existing = this.keys.get(name);
    if (existing) return existing;
    const type = opts.type ?? "aes256-gcm96";
    if (type !== "aes256-gcm96") throw new UserError(`unknown key type ${type}`);
    const key: TransitKey = {
      name,
      type,
      derived: opts.derived === true,
      versions: new Map([[1, { key: randomBytes(32), createdAt: Math.floor(Date.now() / 1000) }]]),
      latestVersion: 1,
      minDecryptionVersion: 1,
      minEncryptionVersion: 0,
      deletionAllowed: false,
    };
    this.keys.set(name, key);
    return key;
  }

  rotate(name: string): TransitKey {
    const key = this.mustGet(name, "key not found");
    key.latestVersion += 1;
    key.versions.set(key.latestVersion, { key: randomBytes(32), createdAt: Math.floor(Date.now() / 1000) });
    return key;
  }

  /** POST keys/:name/config */
  configure(name: string, body: Record<string, unknown>): TransitKey {
    const key = this.mustGet(name, "no such key");
    const minDec = body.min_decryption_version;
    const minEnc = body.min_encryption_version;
    if (minDec !== undefined) {
      const v = Number(minDec);
      if (!Number.isInteger(v) || v < 0) throw new UserError("min decryption version must be a positive integer");
      if (v > key.latestVersion) {
        throw new UserError(`cannot set min decryption version of ${v}, latest key version is ${key.latestVersion}`);
      }
      key.minDecryptionVersion = Math.max(1, v);
    }
    if (minEnc !== undefined) {
      const v = Number(minEnc);
      if (!Number.isInteger(v) || v < 0) throw new UserError("min encryption version must be a positive integer");
      if (v > key.latestVersion) {
        throw new UserError(`cannot set min encryption version of ${v}, latest key version is ${key.latestVersion}`);
      }
      key.minEncryptionVersion = v;
    }
    if (key.minEncryptionVersion > 0 && key.minEncryptionVersion < key.minDecryptionVersion) {
      throw new UserError("min encryption version should not be less than min decryption version");
    }
    if (body.deletion_allowed !== undefined) key.deletionAllowed = body.deletion_allowed === true;
    return key;
  }

  /** The `data` of GET keys/:name. */
  describe(key: TransitKey): Record<string, unknown> {
    return {
      name: key.name,
      type: key.type,
      derived: key.derived,
      kdf: key.derived ? "hkdf_sha256" : undefined,
      convergent_encryption: false,
      exportable: false,
      allow_plaintext_backup: false,
      deletion_allowed: key.deletionAllowed,
      keys: Object.fromEntries([...key.versions].map(([v, k]) => [String(v), k.createdAt])),
      latest_version: key.latestVersion,
      min_available_version: 0,
      min_decryption_version: key.minDecryptionVersion,
      min_encryption_version: key.minEncryptionVersion,
      supports_encryption: true,
      supports_decryption: true,
      supports_derivation: true,
      supports_signing: false,
      imported_key: false,
      auto_rotate_period: 0,
    };
  }

  encrypt(key: TransitKey, item: Record<string, unknown>): { ciphertext: string; key_version: number } {
    const plaintext = decodeB64(item.plaintext ?? "", "failed to base64-decode plaintext");
    let version = Number(item.key_version ?? 0) || key.latestVersion;
    if (!Number.isInteger(version) || version > key.latestVersion) throw new UserError("invalid key version");
    if (key.minEncryptionVersion > 0 && version < key.minEncryptionVersion) {
      throw new UserError("cannot encrypt with a key version lower than the minimum encryption version");
    }
    if (version < key.minDecryptionVersion) version = key.latestVersion;
    const aesKey = this.versionKey(key, version, item.context);
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", aesKey, nonce);
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext: `vault:v${version}:${Buffer.concat([nonce, ct]).toString("base64")}`, key_version: version };
  }

  /** Returns the plaintext, base64-encoded as Vault answers it. */
  decrypt(key: TransitKey, item: Record<string, unknown>): string {
    const raw = item.ciphertext;
    if (typeof raw !== "string" || raw === "") throw new UserError("missing ciphertext to decrypt");
    if (!raw.startsWith("vault:")) throw new UserError("invalid ciphertext: no prefix");
    const parts = raw.slice("vault:".length).split(":");
    if (parts.length !== 2) throw new UserError("invalid ciphertext: wrong number of fields");
    const m = /^v(\d+)$/.exec(parts[0]!);
    if (!m) throw new UserError("invalid ciphertext: version number could not be decoded");
    const version = Number(m[1]);
    if (version < key.minDecryptionVersion) {
      throw new UserError("ciphertext or signature version is disallowed by policy (too old)");
    }
    if (version > key.latestVersion) throw new UserError("invalid key version");
    const blob = decodeB64(parts[1]!, "invalid ciphertext: could not decode base64");
    const aesKey = this.versionKey(key, version, item.context);
    if (blob.length < 12 + 16) throw new UserError("invalid ciphertext: could not decode base64");
    const decipher = createDecipheriv("aes-256-gcm", aesKey, blob.subarray(0, 12));
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    try {
      return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]).toString("base64");
    } catch {
      throw new UserError("cipher: message authentication failed");
    }
  }

  rewrap(key: TransitKey, item: Record<string, unknown>): { ciphertext: string; key_version: number } {
    const plaintext = this.decrypt(key, item);
    return this.encrypt(key, { plaintext, context: item.context, key_version: item.key_version });
  }

  private versionKey(key: TransitKey, version: number, contextB64: unknown): Buffer {
    const base = key.versions.get(version)?.key;
    if (!base) throw new UserError("invalid key version");
    if (!key.derived) return base;
    if (typeof contextB64 !== "string" || contextB64 === "") throw new UserError(MISSING_CONTEXT);
    const context = decodeB64(contextB64, "failed to base64-decode context");
    return Buffer.from(hkdfSync("sha256", base, Buffer.alloc(0), context, 32));
  }

  private mustGet(name: string, message: string): TransitKey {
    const key = this.keys.get(name);
    if (!key) throw new UserError(message);
    return key;
  }
}

function decodeB64(value: unknown, message: string): Buffer {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) {
    throw new UserError(message);
  }
  return Buffer.from(value, "base64");
}
