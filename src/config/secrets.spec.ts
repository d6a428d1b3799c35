import { describe, expect, it } from "vitest";
import { InvalidArgument } from "../domain/errors.js";
import { describeSecretsConfig, loadSecretsConfig } from "./secrets.js";

describe("loadSecretsConfig", () => {
  it("without VAULT_ADDR uses the local keyring at .latchkey/keyring.json", () => {
    expect(loadSecretsConfig({})).toEqual({
      engine: "local-keyring",
      keyringFile: ".latchkey/keyring.json",
      keyName: "latchkey",
    });
    expect(loadSecretsConfig({ LATCHKEY_DATA_DIR: "/var/lib/lk" })).toMatchObject({ keyringFile: "/var/lib/lk/keyring.json" });
    expect(loadSecretsConfig({ LATCHKEY_KEYRING_FILE: "/k.json" })).toMatchObject({ keyringFile: "/k.json" });
  });

  it("with VAULT_ADDR and VAULT_TOKEN uses Vault transit with defaults", () => {
    expect(loadSecretsConfig({ VAULT_ADDR: "http://vault:8200/", VAULT_TOKEN: "t" })).toEqual({
      engine: "vault-transit",
      addr: "http://vault:8200",
      auth: { kind: "token", token: "t" },
      transitMount: "transit",
      keyName: "latchkey",
      requestTimeoutMs: 5000,
    });
  });

  it("AppRole credentials take precedence and read every Vault variable", () => {
    const c = loadSecretsConfig({
      VAULT_ADDR: "https://vault",
      VAULT_TOKEN: "ignored",
      VAULT_ROLE_ID: "r",
      VAULT_SECRET_ID: "s",
      VAULT_APPROLE_MOUNT: "/apps/",
      VAULT_TRANSIT_MOUNT: "kms",
      VAULT_TRANSIT_KEY: "lk-2",
      VAULT_NAMESPACE: "team",
      VAULT_REQUEST_TIMEOUT_MS: "1500",
    });
    expect(c).toMatchObject({
      auth: { kind: "approle", roleId: "r", secretId: "s", mount: "apps" },
      transitMount: "kms",
      keyName: "lk-2",
      namespace: "team",
      requestTimeoutMs: 1500,
    });
  });

  it("rejects incomplete or malformed Vault settings naming the variable, never echoing secrets", () => {
    const bad: Array<[Record<string, string>, string]> = [
      [{ VAULT_ADDR: "http://v" }, "VAULT_TOKEN"],
      [{ VAULT_ADDR: "http://v", VAULT_ROLE_ID: "r" }, "VAULT_SECRET_ID"],
      [{ VAULT_ADDR: "http://v", VAULT_SECRET_ID: "top-secret" }, "VAULT_ROLE_ID"],
      [{ VAULT_ADDR: "not a url", VAULT_TOKEN: "t" }, "VAULT_ADDR"],
      [{ VAULT_ADDR: "http://v", VAULT_TOKEN: "t", VAULT_TRANSIT_KEY: "a:b" }, "VAULT_TRANSIT_KEY"],
      [{ VAULT_ADDR: "http://v", VAULT_TOKEN: "t", VAULT_REQUEST_TIMEOUT_MS: "soon" }, "VAULT_REQUEST_TIMEOUT_MS"],
    ];
    for (const [env, field] of bad) {
      const err = (() => {
        try {
          loadSecretsConfig(env);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InvalidArgument);
      expect((err as InvalidArgument).field).toBe(field);
      expect((err as Error).message).not.toContain("top-secret");
    }
  });

  it("describeSecretsConfig leaves out tokens and secret ids", () => {
    const c = loadSecretsConfig({ VAULT_ADDR: "http://v", VAULT_ROLE_ID: "rid-987", VAULT_SECRET_ID: "sid-123" });
    expect(JSON.stringify(describeSecretsConfig(c))).not.toMatch(/sid-123|rid-987/);
  });
});
