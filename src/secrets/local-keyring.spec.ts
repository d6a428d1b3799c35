import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FailedPrecondition } from "../domain/errors.js";
import { createLocalKeyring } from "./local-keyring.js";
import { describeCiphertext, rowContext, SecretDecryptError } from "./secret-store.js";

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "lk-keyring-"));
  file = path.join(dir, "sub", "keyring.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ctxA = rowContext("credential", "user-1", "11111111-1111-1111-1111-111111111111");
const ctxB = rowContext("credential", "user-1", "22222222-2222-2222-2222-222222222222");
const secret = Buffer.from("sk_live_very_secret_value");

describe("local keyring", () => {
  it("round-trips a secret and describes its envelope", async () => {
    const ring = await createLocalKeyring({ file });
    const ct = await ring.encrypt(secret, ctxA);
    expect(ct).toMatch(/^lk:local:latchkey:v1:/);
    expect(ct).not.toContain(secret.toString());
    expect(describeCiphertext(ct)).toEqual({ engine: "local-keyring", keyName: "latchkey", keyVersion: 1 });
    expect((await ring.decrypt(ct, ctxA)).equals(secret)).toBe(true);
  });

  it("encrypting twice gives different ciphertexts (random IV)", async () => {
    const ring = await createLocalKeyring({ file });
    expect(await ring.encrypt(secret, ctxA)).not.toBe(await ring.encrypt(secret, ctxA));
  });

  it("a ciphertext moved to another row's context fails to decrypt", async () => {
    const ring = await createLocalKeyring({ file });
    const ct = await ring.encrypt(secret, ctxA);
    await expect(ring.decrypt(ct, ctxB)).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it("a tampered ciphertext fails closed without echoing data in the error", async () => {
    const ring = await createLocalKeyring({ file });
    const ct = await ring.encrypt(secret, ctxA);
    const blob = Buffer.from(ct.split(":")[4]!, "base64");
    blob[blob.length - 1]! ^= 0x01;
    const tampered = `lk:local:latchkey:v1:${blob.toString("base64")}`;
    const err = await ring.decrypt(tampered, ctxA).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretDecryptError);
    expect(String((err as Error).message)).not.toContain(blob.toString("base64"));
    await expect(ring.decrypt("lk:local:latchkey:v1:!!", ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
    await expect(ring.decrypt(ct.replace(":v1:", ":v9:"), ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it("batch forms map item by item", async () => {
    const ring = await createLocalKeyring({ file });
    const cts = await ring.encryptBatch([
      { plaintext: Buffer.from("a"), context: ctxA },
      { plaintext: Buffer.from("b"), context: ctxB },
    ]);
    const pts = await ring.decryptBatch([
      { ciphertext: cts[0]!, context: ctxA },
      { ciphertext: cts[1]!, context: ctxB },
    ]);
    expect(pts.map(String)).toEqual(["a", "b"]);
  });

  it("after rotation old ciphertexts decrypt, new ones use the new version, rewrap moves old ones forward", async () => {
    const ring = await createLocalKeyring({ file });
    const v1 = await ring.encrypt(secret, ctxA);
    expect(await ring.rotate()).toBe(2);
    expect(await ring.latestKeyVersion()).toBe(2);
    const v2 = await ring.encrypt(secret, ctxA);
    expect(describeCiphertext(v2)?.keyVersion).toBe(2);
    expect((await ring.decrypt(v1, ctxA)).equals(secret)).toBe(true);
    const rewrapped = await ring.rewrap(v1, ctxA);
    expect(describeCiphertext(rewrapped)?.keyVersion).toBe(2);
    expect((await ring.decrypt(rewrapped, ctxA)).equals(secret)).toBe(true);

    // A second process opening the same file sees both versions.
    const other = await createLocalKeyring({ file });
    expect((await other.decrypt(v1, ctxA)).equals(secret)).toBe(true);
    expect(await other.latestKeyVersion()).toBe(2);
  });

  it("a process picks up a rotation made by another process when it meets the new version", async () => {
    const a = await createLocalKeyring({ file });
    const b = await createLocalKeyring({ file });
    await b.rotate();
    const fromB = await b.encrypt(secret, ctxA);
    expect((await a.decrypt(fromB, ctxA)).equals(secret)).toBe(true);
  });

  it("min_decryption_version refuses ciphertexts of retired versions", async () => {
    const ring = await createLocalKeyring({ file });
    const v1 = await ring.encrypt(secret, ctxA);
    await ring.rotate();
    await ring.setMinDecryptionVersion(2);
    await expect(ring.decrypt(v1, ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
    await expect(ring.setMinDecryptionVersion(3)).rejects.toThrow(/min_decryption_version/);
  });

  it("creates the keyring file with mode 0600 and keeps it so across rotation", async () => {
    const ring = await createLocalKeyring({ file });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await ring.rotate();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const data = JSON.parse(await readFile(file, "utf8"));
    expect(Object.keys(data.keys.latchkey.versions)).toEqual(["1", "2"]);
  });

  it("refuses a keyring file readable by group or others, with a clear error", async () => {
    await createLocalKeyring({ file });
    await chmod(file, 0o644);
    const err = await createLocalKeyring({ file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPrecondition);
    expect((err as Error).message).toMatch(/mode 644.*chmod 600/);
  });

  it("refuses a malformed keyring file without quoting its content", async () => {
    await writeFile(file.replace("sub/", ""), "{not json SECRETKEY", { mode: 0o600 });
    const err = await createLocalKeyring({ file: file.replace("sub/", "") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPrecondition);
    expect((err as Error).message).not.toContain("SECRETKEY");
  });

  it("two key names share one file independently", async () => {
    const a = await createLocalKeyring({ file, keyName: "a" });
    const b = await createLocalKeyring({ file, keyName: "b" });
    const ct = await a.encrypt(secret, ctxA);
    await expect(b.decrypt(ct, ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
    await b.rotate();
    expect(await (await createLocalKeyring({ file, keyName: "a" })).latestKeyVersion()).toBe(1);
  });
});
