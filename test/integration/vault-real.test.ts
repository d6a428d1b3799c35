/**
 * Opt-in: the same round-trip and rotation checks against a real Vault, run only when VAULT_ADDR
 * and VAULT_TOKEN are set (e.g. `vault server -dev` + `vault secrets enable transit`). The token
 * needs create/update/read/delete on <mount>/keys/latchkey-it-* and update on encrypt/decrypt/rewrap.
 * Keys are created with a random name and deleted afterwards.
 */
import { randomBytes } from "node:crypto";
import vault from "node-vault";
import { afterAll, describe, expect, it } from "vitest";
import { FailedPrecondition } from "../../src/domain/errors.js";
import { describeCiphertext, rowContext, SecretDecryptError } from "../../src/secrets/secret-store.js";
import { createVaultTransit, type VaultTransit } from "../../src/secrets/vault-transit.js";

const addr = process.env.VAULT_ADDR;
const token = process.env.VAULT_TOKEN;
const mount = process.env.VAULT_TRANSIT_MOUNT ?? "transit";
const namespace = process.env.VAULT_NAMESPACE;
const enabled = Boolean(addr && token);

const ctxA = rowContext("credential", "user-1", "11111111-1111-1111-1111-111111111111");
const ctxB = rowContext("credential", "user-2", "22222222-2222-2222-2222-222222222222");

describe.skipIf(!enabled)("vault transit against a real Vault", () => {
  const admin = enabled
    ? vault({ endpoint: addr, token, ...(namespace ? { namespace } : {}), debug: () => {} })
    : undefined;
  const created: string[] = [];
  const stores: VaultTransit[] = [];

  const keyName = () => {
    const name = `latchkey-it-${randomBytes(4).toString("hex")}`;
    created.push(name);
    return name;
  };
  const open = async (name: string) => {
    const s = await createVaultTransit({
      addr: addr!,
      token: token!,
      transitMount: mount,
      keyName: name,
      ...(namespace ? { namespace } : {}),
    });
    stores.push(s);
    return s;
  };

  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const name of created) {
      await admin!.write(`${mount}/keys/${name}/config`, { deletion_allowed: true }).catch(() => {});
      await admin!.delete(`${mount}/keys/${name}`).catch(() => {});
    }
  });

  it("creates a derived key and round-trips secrets bound to their context, single and batch", async () => {
    const name = keyName();
    const t = await open(name);
    const info = (await admin!.read(`${mount}/keys/${name}`)).data;
    expect(info).toMatchObject({ derived: true, type: "aes256-gcm96" });
    const ct = await t.encrypt(Buffer.from("s3cret"), ctxA);
    expect(ct.startsWith(`lk:transit:${name}:vault:v1:`)).toBe(true);
    expect(String(await t.decrypt(ct, ctxA))).toBe("s3cret");
    await expect(t.decrypt(ct, ctxB)).rejects.toBeInstanceOf(SecretDecryptError);
    const cts = await t.encryptBatch([
      { plaintext: Buffer.from("a"), context: ctxA },
      { plaintext: Buffer.from("b"), context: ctxB },
    ]);
    const pts = await t.decryptBatch([
      { ciphertext: cts[0]!, context: ctxA },
      { ciphertext: cts[1]!, context: ctxB },
    ]);
    expect(pts.map(String)).toEqual(["a", "b"]);
    await expect(
      t.decryptBatch([
        { ciphertext: cts[0]!, context: ctxA },
        { ciphertext: cts[1]!, context: ctxA },
      ]),
    ).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it("old ciphertexts decrypt after rotation, rewrap moves them, min_decryption_version refuses old ones", async () => {
    const name = keyName();
    const t = await open(name);
    const v1 = await t.encrypt(Buffer.from("rotate-me"), ctxA);
    await admin!.write(`${mount}/keys/${name}/rotate`, {});
    expect(await t.latestKeyVersion()).toBe(2);
    expect(String(await t.decrypt(v1, ctxA))).toBe("rotate-me");
    const v2 = await t.rewrap(v1, ctxA);
    expect(describeCiphertext(v2)?.keyVersion).toBe(2);
    await admin!.write(`${mount}/keys/${name}/config`, { min_decryption_version: 2 });
    await expect(t.decrypt(v1, ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
    expect(String(await t.decrypt(v2, ctxA))).toBe("rotate-me");
  });

  it("refuses an existing key that is not derived", async () => {
    const name = keyName();
    await admin!.write(`${mount}/keys/${name}`, { type: "aes256-gcm96" });
    await expect(open(name)).rejects.toBeInstanceOf(FailedPrecondition);
  });
});
