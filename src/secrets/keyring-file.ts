/**
 * The local keyring's file: JSON holding versioned 256-bit keys, readable by its owner only.
 * A file that group or others can read is refused rather than silently used: once a key has been
 * readable by others, every secret it protects must be considered exposed.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, mkdir, open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { FailedPrecondition } from "../domain/errors.js";

export interface KeyVersionEntry {
  /** base64 of 32 random bytes. */
  key: string;
  created_at: string;
}

export interface KeyEntry {
  latest_version: number;
  min_decryption_version: number;
  versions: Record<string, KeyVersionEntry>;
}

export interface KeyringData {
  format: 1;
  keys: Record<string, KeyEntry>;
}

export function newKeyVersion(): KeyVersionEntry {
  return { key: randomBytes(32).toString("base64"), created_at: new Date().toISOString() };
}

/** Reads the keyring; `undefined` when the file does not exist yet. */
export async function readKeyringFile(file: string): Promise<KeyringData | undefined> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new FailedPrecondition(`keyring file ${file} cannot be opened`, { cause: err });
  }
  try {
    // fstat on the opened handle: the file checked is the file read.
    const st = await handle.stat();
    if (!st.isFile()) throw new FailedPrecondition(`keyring file ${file} is not a regular file`);
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(3, "0");
      throw new FailedPrecondition(
        `keyring file ${file} has mode ${mode}: it must be readable by its owner only (chmod 600), ` +
          "and its keys should be considered exposed",
      );
    }
    return parseKeyring(file, await handle.readFile("utf8"));
  } finally {
    await handle.close();
  }
}

function parseKeyring(file: string, text: string): KeyringData {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // No cause: the parser's message could quote key material.
    throw new FailedPrecondition(`keyring file ${file} is not valid JSON`);
  }
  const d = data as Partial<KeyringData> | null;
  if (!d || d.format !== 1 || typeof d.keys !== "object" || d.keys === null) {
    throw new FailedPrecondition(`keyring file ${file} has an unknown format`);
  }
  for (const [name, entry] of Object.entries(d.keys)) {
    const latest = entry?.versions?.[String(entry.latest_version)];
    if (!latest || Buffer.from(latest.key, "base64").length !== 32) {
      throw new FailedPrecondition(`keyring file ${file}: key ${name} is malformed`);
    }
  }
  return d as KeyringData;
}

async function writeTemp(file: string, data: KeyringData): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.chmod(0o600); // in case the umask is unusual
    await handle.writeFile(JSON.stringify(data, null, 2) + "\n", "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}

/**
 * Creates the file only if it does not exist (hard link is atomic and fails on EEXIST), so two
 * processes starting together cannot each write their own keys. Returns false when it lost the race.
 */
export async function createKeyringFile(file: string, data: KeyringData): Promise<boolean> {
  const tmp = await writeTemp(file, data);
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Replaces the file atomically (rotation, min_decryption_version). */
export async function replaceKeyringFile(file: string, data: KeyringData): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
