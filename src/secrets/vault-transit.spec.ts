/**
 * The Vault transit engine through the real node-vault client, against the Vault look-alike in
 * test/support (real HTTP on 127.0.0.1, real AES-256-GCM, derived keys).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { FailedPrecondition, Unavailable } from "../domain/errors.js";
import { createLogger } from "../observability/logger.js";
import { startTransitServer, type TransitServer } from "../../test/support/vault-transit-server.js";
import { describeCiphertext, rowContext, SecretDecryptError } from "./secret-store.js";
import { createVaultTransit, type VaultTransit, type VaultTransitOptions } from "./vault-transit.js";

const ctxA = rowContext("credential", "user-1", "11111111-1111-1111-1111-111111111111");
const ctxB = rowContext("credential", "user-2", "22222222-2222-2222-2222-222222222222");
const secret = Buffer.from("ghp_super_secret_token_value");

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function server(opts: Parameters<typeof startTransitServer>[0] = {}): Promise<TransitServer> {
  const s = await startTransitServer(opts);
  cleanup.push(() => s.stop());
  return s;
}

async function store(s: TransitServer, opts: Partial<VaultTransitOptions> = {}): Promise<VaultTransit> {
  const t = await createVaultTransit({ addr: s.addr, token: s.rootToken, ...opts });
  cleanup.push(() => t.close());
  return t;
}

async function until(check: () => boolean, ms = 4_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: "debug", destination }) };
}

describe("vault transit: keys and round trips", () => {
  it("creates the missing key as derived aes256-gcm96 and round-trips a secret bound to its context", async () => {
    const s = await server();
    const t = await store(s);
    expect(s.readKey("latchkey")).toMatchObject({ derived: true, type: "aes256-gcm96" });
    const ct = await t.encrypt(secret, ctxA);
    expect(ct).toMatch(/^lk:transit:latchkey:vault:v1:/);
    expect(describeCiphertext(ct)).toEqual({ engine: "vault-transit", keyName: "latchkey", keyVersion: 1 });
    expect((await t.decrypt(ct, ctxA)).equals(secret)).toBe(true);
  });

  it("refuses to start on an existing key that is not derived", async () => {
    const s = await server();
    s.createKey("latchkey", { derived: false });
    const err = await createVaultTransit({ addr: s.addr, token: s.rootToken }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPrecondition);
    expect((err as Error).message).toMatch(/not derived.*derived=true/);
  });

  it("uses an existing derived key as it is, with a custom mount, key name and namespace", async () => {
    const s = await server({ transitMount: "kms/transit" });
    s.createKey("app-key", { derived: true });
    s.rotate("app-key");
    const t = await store(s, { transitMount: "kms/transit", keyName: "app-key", namespace: "team-a" });
    const ct = await t.encrypt(secret, ctxA);
    expect(ct).toMatch(/^lk:transit:app-key:vault:v2:/);
    expect(s.requests.filter((r) => r.path.startsWith("/v1/kms/transit/")).every((r) => r.namespace === "team-a")).toBe(
      true,
    );
  });

  it("a ciphertext moved to another row fails with SecretDecryptError", async () => {
    const t = await store(await server());
    const ct = await t.encrypt(secret, ctxA);
    await expect(t.decrypt(ct, ctxB)).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it("tampered or foreign ciphertexts fail closed without echoing the ciphertext", async () => {
    const s = await server();
    const t = await store(s);
    const ct = await t.encrypt(secret, ctxA);
    const body = ct.slice(ct.lastIndexOf(":") + 1);
    const flipped = ct.slice(0, ct.lastIndexOf(":") + 1) + (body[0] === "A" ? "B" : "A") + body.slice(1);
    const err = await t.decrypt(flipped, ctxA).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretDecryptError);
    expect(JSON.stringify({ m: (err as Error).message, c: String((err as Error).cause) })).not.toContain(body);
    await expect(t.decrypt(ct.replace(":latchkey:", ":other:"), ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
    await expect(t.decrypt("lk:local:latchkey:v1:AAAA", ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it("batch forms use batch_input in chunks and keep item order", async () => {
    const s = await server();
    const t = await store(s, { maxBatchItems: 2 });
    const items = ["a", "b", "c"].map((p, i) => ({ plaintext: Buffer.from(p), context: i % 2 ? ctxA : ctxB }));
    const before = s.requests.length;
    const cts = await t.encryptBatch(items);
    expect(s.requests.length - before).toBe(2);
    const pts = await t.decryptBatch(cts.map((c, i) => ({ ciphertext: c, context: items[i]!.context })));
    expect(pts.map(String)).toEqual(["a", "b", "c"]);
    expect(await t.encryptBatch([])).toEqual([]);
  });

  it("one failed batch item fails the call without leaking the other items", async () => {
    const t = await store(await server());
    const cts = await t.encryptBatch([
      { plaintext: Buffer.from("first-secret"), context: ctxA },
      { plaintext: Buffer.from("second-secret"), context: ctxB },
    ]);
    const err = await t
      .decryptBatch([
        { ciphertext: cts[0]!, context: ctxA },
        { ciphertext: cts[1]!, context: ctxA }, // moved
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretDecryptError);
    const text = `${(err as Error).message} ${String((err as Error).cause)}`;
    expect(text).toContain("batch item 1");
    expect(text).not.toContain("first-secret");
    expect(text).not.toContain(Buffer.from("first-secret").toString("base64"));
  });
});

/**
 * An HTTP front for the look-alike that drops `plaintext` from one decrypt batch result, as a
 * misbehaving Vault (or a proxy in between) might.
 */
async function withoutPlaintext(s: TransitServer, dropIndex: number): Promise<string> {
  const front = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    const upstream = await fetch(new URL(req.url ?? "/", s.addr), {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks),
    });
    let text = await upstream.text();
    if (/\/decrypt\//.test(req.url ?? "")) {
      const body = JSON.parse(text) as { data?: { batch_results?: Array<Record<string, unknown>> } };
      const item = body.data?.batch_results?.[dropIndex];
      if (item) delete item.plaintext;
      text = JSON.stringify(body);
    }
    res.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
  });
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  cleanup.push(() => new Promise<void>((r) => front.close(() => r())));
  return `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
}

describe("vault transit: malformed answers", () => {
  it("a decrypt batch result without plaintext fails closed with SecretDecryptError, never an empty secret", async () => {
    const s = await server();
    const t = await store(s);
    const cts = await t.encryptBatch([
      { plaintext: Buffer.from("first-secret"), context: ctxA },
      { plaintext: Buffer.from("second-secret"), context: ctxB },
    ]);
    const broken = await store(s, { addr: await withoutPlaintext(s, 1) });
    const err = await broken
      .decryptBatch([
        { ciphertext: cts[0]!, context: ctxA },
        { ciphertext: cts[1]!, context: ctxB },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretDecryptError);
    expect(`${(err as Error).message} ${String((err as Error).cause)}`).toContain("batch item 1");
  });
});

describe("vault transit: rotation (after Vault's backend_test.go)", () => {
  it("old ciphertexts decrypt after rotation, rewrap moves them forward, min_decryption_version refuses old ones", async () => {
    const s = await server();
    const t = await store(s);
    const v1 = await t.encrypt(secret, ctxA);
    const v1batch = await t.encryptBatch([{ plaintext: Buffer.from("other"), context: ctxB }]);

    expect(s.rotate("latchkey")).toBe(2);
    expect(await t.latestKeyVersion()).toBe(2);
    expect((await t.decrypt(v1, ctxA)).equals(secret)).toBe(true);
    expect(describeCiphertext(await t.encrypt(secret, ctxA))?.keyVersion).toBe(2);

    const rewrapped = await t.rewrap(v1, ctxA);
    expect(describeCiphertext(rewrapped)?.keyVersion).toBe(2);
    const [rewrappedBatch] = await t.rewrapBatch([{ ciphertext: v1batch[0]!, context: ctxB }]);
    expect(describeCiphertext(rewrappedBatch!)?.keyVersion).toBe(2);
    await expect(t.rewrap(v1, ctxB)).rejects.toBeInstanceOf(SecretDecryptError);

    s.setMinDecryptionVersion("latchkey", 2);
    await expect(t.decrypt(v1, ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
    await expect(t.rewrap(v1, ctxA)).rejects.toBeInstanceOf(SecretDecryptError);
    expect((await t.decrypt(rewrapped, ctxA)).equals(secret)).toBe(true);
    expect(String(await t.decryptBatch([{ ciphertext: rewrappedBatch!, context: ctxB }]).then((b) => b[0]))).toBe(
      "other",
    );
  });
});

describe("vault transit: authentication", () => {
  it("logs in with AppRole, renews the token before its lease ends, and stops at close()", async () => {
    const approle = { roleId: "role-123", secretId: "secret-id-456", tokenTtl: 2 };
    const s = await server({ approle });
    const { lines, logger } = capture();
    const t = await createVaultTransit({
      addr: s.addr,
      roleId: approle.roleId,
      secretId: approle.secretId,
      logger,
      renewal: { renewFraction: 0.3 },
    });
    expect(s.tokens.stats.logins).toBe(1);
    await t.encrypt(secret, ctxA);
    await until(() => s.tokens.stats.renewals >= 1);
    await t.close();
    const renewals = s.tokens.stats.renewals;
    await new Promise((r) => setTimeout(r, 900));
    expect(s.tokens.stats.renewals).toBe(renewals);
    const log = lines.join("");
    for (const token of s.tokens.liveLoginTokens()) expect(log).not.toContain(token);
    expect(log).not.toContain(approle.secretId);
  });

  it("logs in again when renewal fails", async () => {
    const approle = { roleId: "r", secretId: "s", tokenTtl: 1 };
    const s = await server({ approle });
    s.tokens.failRenewals = true;
    await store(s, { token: undefined, roleId: "r", secretId: "s" });
    await until(() => s.tokens.stats.logins >= 2);
  });

  it("a token revoked behind our back is replaced by a fresh AppRole login on the next call", async () => {
    const approle = { roleId: "r", secretId: "s" };
    const s = await server({ approle });
    const t = await store(s, { token: undefined, roleId: "r", secretId: "s" });
    for (const token of s.tokens.liveLoginTokens()) s.tokens.revoke(token);
    expect((await t.decrypt(await t.encrypt(secret, ctxA), ctxA)).equals(secret)).toBe(true);
    expect(s.tokens.stats.logins).toBe(2);
  });

  it("a 403 from a policy (token still valid) fails as Unavailable without logging in again", async () => {
    const approle = { roleId: "r", secretId: "s" };
    const s = await server({ approle });
    const t = await store(s, { token: undefined, roleId: "r", secretId: "s" });
    s.deny("transit/encrypt/latchkey");
    for (let i = 0; i < 3; i++) await expect(t.encrypt(secret, ctxA)).rejects.toThrow(/vault unavailable: permission denied/);
    expect(s.tokens.stats.logins).toBe(1);
  });

  it("refused AppRole credentials give a clear startup error without the secret id", async () => {
    const s = await server({ approle: { roleId: "r", secretId: "right-secret" } });
    const err = await createVaultTransit({ addr: s.addr, roleId: "r", secretId: "wrong-secret-id" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Unavailable);
    expect((err as Error).message).toMatch(/AppRole login refused/);
    expect(`${(err as Error).message} ${String((err as Error).cause)}`).not.toContain("wrong-secret-id");
  });

  it("a wrong token gives a clear error that does not contain the token", async () => {
    const s = await server();
    const wrong = "hvs.THIS-IS-A-WRONG-TOKEN";
    const err = await createVaultTransit({ addr: s.addr, token: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unavailable);
    expect((err as Error).message).toMatch(/token was refused/);
    expect(`${(err as Error).message} ${String((err as Error).cause)} ${(err as Error).stack}`).not.toContain(wrong);
  });
});

describe("vault transit: availability", () => {
  it("a stopped server answers Unavailable(vault) on every call and on ping", async () => {
    const s = await startTransitServer();
    const t = await store(s);
    const ct = await t.encrypt(secret, ctxA);
    await s.stop();
    for (const call of [() => t.encrypt(secret, ctxA), () => t.decrypt(ct, ctxA), () => t.ping()]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Unavailable);
      expect((err as Unavailable).dependency).toBe("vault");
    }
  });

  it("a sealed Vault is Unavailable with the reason", async () => {
    const s = await server();
    const t = await store(s);
    s.seal();
    await expect(t.encrypt(secret, ctxA)).rejects.toThrow(/vault unavailable: sealed/);
    await expect(t.ping()).rejects.toBeInstanceOf(Unavailable);
    s.unseal();
    await t.ping();
  });

  it("a slow Vault times out as Unavailable", async () => {
    const s = await server();
    const t = await store(s, { requestTimeoutMs: 150 });
    s.setLatency(600);
    await expect(t.encrypt(secret, ctxA)).rejects.toThrow(/vault unavailable: request timed out/);
  });
});
