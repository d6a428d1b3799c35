/**
 * The embedded secret engine for dev mode and single-node installs: AES-256-GCM with versioned keys
 * from a local file (keyring-file.ts). Same contract as Vault transit: the binding context is the
 * GCM associated data, so a ciphertext copied to another row does not open there.
 *
 * Ciphertext: lk:local:<key name>:v<N>:<base64(iv(12) | tag(16) | ct)>
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { InvalidArgument } from "../domain/errors.js";
import {
  createKeyringFile,
  newKeyVersion,
  readKeyringFile,
  replaceKeyringFile,
  type KeyEntry,
  type KeyringData,
} from "./keyring-file.js";
import { SecretDecryptError, type DecryptItem, type EncryptItem, type SecretStore } from "./secret-store.js";

export interface LocalKeyringOptions {
  /** Path of the JSON keyring; created (mode 0600) when missing. */
  file: string;
  /** Default "latchkey". */
  keyName?: string;
}

export interface LocalKeyring extends SecretStore {
  readonly keyName: string;
  /** Adds a key version; new ciphertexts use it, old ones still decrypt. Returns the new version. */
  rotate(): Promise<number>;
  /** Refuses ciphertexts made with key versions below `version` (after a rewrap, retire old keys). */
  setMinDecryptionVersion(version: number): Promise<void>;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const CIPHERTEXT = /^lk:local:([^:]+):v(\d+):([A-Za-z0-9+/]+={0,2})$/;

function decryptFailure(reason: string): SecretDecryptError {
  return new SecretDecryptError({ cause: new Error(`local keyring: ${reason}`) });
}

export async function createLocalKeyring(opts: LocalKeyringOptions): Promise<LocalKeyring> {
  const file = opts.file;
  const keyName = opts.keyName ?? "latchkey";
  if (!KEY_NAME.test(keyName)) throw new InvalidArgument("key_name", "letters, digits, '.', '_' and '-' only");

  let entry = await loadOrCreate(file, keyName);
  let keys = decodeKeys(entry);

  async function reload(): Promise<void> {
    entry = await loadOrCreate(file, keyName);
    keys = decodeKeys(entry);
  }

  /** Read-modify-write of our key's entry, starting from the file (another process may have rotated). */
  async function update(change: (e: KeyEntry) => void): Promise<void> {
    const data = (await readKeyringFile(file)) ?? { format: 1 as const, keys: {} };
    const current = data.keys[keyName] ?? entry;
    change(current);
    data.keys[keyName] = current;
    await replaceKeyringFile(file, data);
    entry = current;
    keys = decodeKeys(entry);
  }

  function encryptOne(plaintext: Buffer, context: string): string {
    const version = entry.latest_version;
    const key = keys.get(version)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const blob = Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
    return `lk:local:${keyName}:v${version}:${blob}`;
  }

  async function decryptOne(ciphertext: string, context: string): Promise<Buffer> {
    const m = CIPHERTEXT.exec(ciphertext);
    if (!m) throw decryptFailure("not a local keyring ciphertext");
    if (m[1] !== keyName) throw decryptFailure("made with another key name");
    const version = Number(m[2]);
    if (!keys.has(version)) await reload(); // rotated by another process since we loaded
    const key = keys.get(version);
    if (!key) throw decryptFailure(`unknown key version ${version}`);
    if (version < entry.min_decryption_version) throw decryptFailure(`key version ${version} is retired`);
    const blob = Buffer.from(m[3]!, "base64");
    if (blob.length < IV_BYTES + TAG_BYTES) throw decryptFailure("ciphertext too short");
    const decipher = createDecipheriv("aes-256-gcm", key, blob.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      // Tampered, or bound to another context. Fail closed, with nothing of the data in the error.
      throw decryptFailure("authentication failed (tampered or wrong context)");
    }
  }

  const store: LocalKeyring = {
    engine: "local-keyring",
    keyName,
    async encrypt(plaintext, context) {
      return encryptOne(plaintext, context);
    },
    decrypt: decryptOne,
    async rewrap(ciphertext, context) {
      return encryptOne(await decryptOne(ciphertext, context), context);
    },
    async encryptBatch(items: EncryptItem[]) {
      return items.map((i) => encryptOne(i.plaintext, i.context));
    },
    async decryptBatch(items: DecryptItem[]) {
      const out: Buffer[] = [];
      for (const i of items) out.push(await decryptOne(i.ciphertext, i.context));
      return out;
    },
    async rewrapBatch(items: DecryptItem[]) {
      const out: string[] = [];
      for (const i of items) out.push(await store.rewrap(i.ciphertext, i.context));
      return out;
    },
    async latestKeyVersion() {
      return entry.latest_version;
    },
    async ping() {},
    async close() {},
    async rotate() {
      await update((e) => {
        e.latest_version += 1;
        e.versions[String(e.latest_version)] = newKeyVersion();
      });
      return entry.latest_version;
    },
    async setMinDecryptionVersion(version) {
      if (!Number.isInteger(version) || version < 1 || version > entry.latest_version) {
        throw new InvalidArgument("min_decryption_version", `must be between 1 and ${entry.latest_version}`);
      }
      await update((e) => {
        e.min_decryption_version = version;
      });
    },
  };
  return store;
}

async function loadOrCreate(file: string, keyName: string): Promise<KeyEntry> {
  let data = await readKeyringFile(file);
  if (!data) {
    const fresh: KeyringData = { format: 1, keys: { [keyName]: firstEntry() } };
    if (await createKeyringFile(file, fresh)) return fresh.keys[keyName]!;
    data = await readKeyringFile(file); // another process created it first: use theirs
    if (!data) throw new Error(`keyring file ${file} vanished while being created`);
  }
  const existing = data.keys[keyName];
  if (existing) return existing;
  data.keys[keyName] = firstEntry();
  await replaceKeyringFile(file, data);
  return data.keys[keyName];
}

function firstEntry(): KeyEntry {
  return { latest_version: 1, min_decryption_version: 1, versions: { "1": newKeyVersion() } };
}

function decodeKeys(entry: KeyEntry): Map<number, Buffer> {
  const keys = new Map<number, Buffer>();
  for (const [v, k] of Object.entries(entry.versions)) keys.set(Number(v), Buffer.from(k.key, "base64"));
  return keys;
}
