import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalKeyring } from "../../secrets/local-keyring.js";
import type { SecretStore } from "../../secrets/secret-store.js";
import { createWebhookSecretCache, encryptWebhookSecret } from "./webhook-secrets.js";
import type { WebhookRow } from "./webhook.js";

async function keyring() {
  return createLocalKeyring({ file: path.join(await mkdtemp(path.join(tmpdir(), "lk-wsec-")), "k.json") });
}

function counting(store: SecretStore) {
  let calls = 0;
  const wrapped: SecretStore = { ...store, engine: store.engine, decryptBatch: (items) => (calls++, store.decryptBatch(items)) };
  return { store: wrapped, calls: () => calls };
}

async function row(store: SecretStore, over: Partial<WebhookRow> = {}): Promise<WebhookRow> {
  const id = over.id ?? crypto.randomUUID();
  return {
    id,
    userId: "u1",
    provider: "github",
    scheme: "github",
    resource: "",
    events: [],
    credentialId: null,
    registrar: null,
    providerWebhookId: "",
    status: "active",
    secretCiphertext: await encryptWebhookSecret(store, "u1", id, "current"),
    previousSecretCiphertext: null,
    previousSecretExpiresAt: null,
    version: 1,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...over,
  };
}

describe("webhook secret cache", () => {
  it("decrypts once per webhook version within the TTL", async () => {
    const ks = await keyring();
    const { store, calls } = counting(ks);
    const cache = createWebhookSecretCache({ store, ttlMs: 60_000 });
    const r = await row(ks);
    expect(await Promise.all([cache.secretsFor(r), cache.secretsFor(r)])).toEqual([["current"], ["current"]]);
    expect(calls()).toBe(1);
    await cache.secretsFor({ ...r, version: 2 });
    expect(calls()).toBe(2);
  });

  it("serves the previous secret only until its grace period ends, cached or not", async () => {
    const ks = await keyring();
    let now = 1_000_000;
    const cache = createWebhookSecretCache({ store: ks, ttlMs: 60_000, now: () => now });
    const base = await row(ks);
    const r = { ...base, previousSecretCiphertext: await encryptWebhookSecret(ks, "u1", base.id, "old"), previousSecretExpiresAt: new Date(now + 1000) };
    expect(await cache.secretsFor(r)).toEqual(["current", "old"]);
    now += 1001;
    expect(await cache.secretsFor(r)).toEqual(["current"]);
  });

  it("does not open a secret moved to another webhook row", async () => {
    const ks = await keyring();
    const cache = createWebhookSecretCache({ store: ks, ttlMs: 0 });
    const a = await row(ks);
    await expect(cache.secretsFor({ ...a, id: crypto.randomUUID() })).rejects.toThrow();
  });
});
