/**
 * The Vault look-alike answers on the wire as Vault's HTTP API documents it (status codes, bodies),
 * so code tested against it behaves the same against a real Vault.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTransitServer, type TransitServer } from "./vault-transit-server.js";

let s: TransitServer;
afterEach(async () => {
  await s?.stop();
});

async function api(method: string, path: string, body?: unknown, token: string | null = s.rootToken) {
  const res = await fetch(`${s.addr}/v1/${path}`, {
    method,
    headers: { ...(token ? { "X-Vault-Token": token } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("vault transit test server", () => {
  it("health needs no token and reports the seal", async () => {
    s = await startTransitServer();
    expect(await api("GET", "sys/health", undefined, null)).toMatchObject({ status: 200, body: { sealed: false } });
    s.seal();
    expect(await api("GET", "sys/health", undefined, null)).toMatchObject({ status: 503, body: { sealed: true } });
    expect(await api("GET", "transit/keys/k")).toEqual({ status: 503, body: { errors: ["Vault is sealed"] } });
  });

  it("answers 403 permission denied without a valid token, 404 with empty errors for a missing key", async () => {
    s = await startTransitServer();
    expect(await api("GET", "transit/keys/k", undefined, null)).toEqual({ status: 403, body: { errors: ["permission denied"] } });
    expect(await api("GET", "transit/keys/k", undefined, "hvs.nope")).toEqual({ status: 403, body: { errors: ["permission denied"] } });
    expect(await api("GET", "transit/keys/k")).toEqual({ status: 404, body: { errors: [] } });
  });

  it("creates, rotates and configures keys; derived keys need a context", async () => {
    s = await startTransitServer();
    await api("POST", "transit/keys/k", { type: "aes256-gcm96", derived: true });
    await api("POST", "transit/keys/k/rotate");
    const read = await api("GET", "transit/keys/k");
    expect(read.body.data).toMatchObject({ derived: true, latest_version: 2, min_decryption_version: 1, type: "aes256-gcm96" });
    expect(Object.keys(read.body.data.keys)).toEqual(["1", "2"]);
    const bad = await api("POST", "transit/keys/k/config", { min_decryption_version: 3 });
    expect(bad).toEqual({ status: 400, body: { errors: ["cannot set min decryption version of 3, latest key version is 2"] } });
    const noCtx = await api("POST", "transit/encrypt/k", { plaintext: b64("x") });
    expect(noCtx.status).toBe(400);
    expect(noCtx.body.errors[0]).toMatch(/^missing 'context' for key derivation/);
  });

  it("encrypts to vault:vN:, decrypts per context, and answers batches item by item (400 if any failed)", async () => {
    s = await startTransitServer();
    s.createKey("k", { derived: true });
    const enc = await api("POST", "transit/encrypt/k", { plaintext: b64("hello"), context: b64("ctx-a") });
    expect(enc.body.data).toMatchObject({ key_version: 1 });
    expect(enc.body.data.ciphertext).toMatch(/^vault:v1:[A-Za-z0-9+/]+=*$/);
    const dec = await api("POST", "transit/decrypt/k", { ciphertext: enc.body.data.ciphertext, context: b64("ctx-a") });
    expect(Buffer.from(dec.body.data.plaintext, "base64").toString()).toBe("hello");
    const batch = await api("POST", "transit/decrypt/k", {
      batch_input: [
        { ciphertext: enc.body.data.ciphertext, context: b64("ctx-a"), reference: "one" },
        { ciphertext: enc.body.data.ciphertext, context: b64("ctx-b"), reference: "two" },
      ],
    });
    expect(batch.status).toBe(400);
    expect(batch.body.data.batch_results).toEqual([
      { plaintext: b64("hello"), reference: "one" },
      { error: "cipher: message authentication failed", reference: "two" },
    ]);
    s.rotate("k");
    const rewrap = await api("POST", "transit/rewrap/k", { ciphertext: enc.body.data.ciphertext, context: b64("ctx-a") });
    expect(rewrap.body.data).toMatchObject({ key_version: 2 });
    s.setMinDecryptionVersion("k", 2);
    const old = await api("POST", "transit/decrypt/k", { ciphertext: enc.body.data.ciphertext, context: b64("ctx-a") });
    expect(old).toEqual({ status: 400, body: { errors: ["ciphertext or signature version is disallowed by policy (too old)"] } });
  });

  it("logs in with AppRole and looks up and renews the token it issued", async () => {
    s = await startTransitServer({ approle: { roleId: "r", secretId: "s", tokenTtl: 60 } });
    expect(await api("POST", "auth/approle/login", { role_id: "r", secret_id: "x" }, null)).toEqual({
      status: 400,
      body: { errors: ["invalid role or secret ID"] },
    });
    const login = await api("POST", "auth/approle/login", { role_id: "r", secret_id: "s" }, null);
    expect(login.body.auth).toMatchObject({ lease_duration: 60, renewable: true });
    const token = login.body.auth.client_token as string;
    expect((await api("GET", "auth/token/lookup-self", undefined, token)).body.data).toMatchObject({ ttl: 60, renewable: true });
    expect((await api("POST", "auth/token/renew-self", {}, token)).body.auth).toMatchObject({ client_token: token });
    expect((await api("POST", "auth/token/renew-self", {})).body).toEqual({ errors: ["lease is not renewable"] });
  });
});
