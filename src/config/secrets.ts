/**
 * Secret-store configuration, parsed once at startup from the environment.
 * VAULT_ADDR set → Vault transit (token or AppRole); otherwise the local keyring file.
 *
 *   VAULT_ADDR                       e.g. https://vault.internal:8200; unset → local keyring
 *   VAULT_TOKEN                      a token, or:
 *   VAULT_ROLE_ID, VAULT_SECRET_ID   AppRole login (renewed, re-login on failure)
 *   VAULT_APPROLE_MOUNT (approle)
 *   VAULT_TRANSIT_MOUNT (transit)
 *   VAULT_TRANSIT_KEY (latchkey)     created derived when missing; an underived key is refused
 *   VAULT_NAMESPACE                  Vault Enterprise / HCP namespace
 *   VAULT_REQUEST_TIMEOUT_MS (5000)
 *   LATCHKEY_KEYRING_FILE (${LATCHKEY_DATA_DIR:-.latchkey}/keyring.json)   local keyring, mode 0600
 */
import { InvalidArgument } from "../domain/errors.js";
import { intFrom, str, type Env } from "./env.js";

export type SecretsConfig = VaultTransitConfig | LocalKeyringConfig;

export interface VaultTransitConfig {
  engine: "vault-transit";
  addr: string;
  auth: { kind: "token"; token: string } | { kind: "approle"; roleId: string; secretId: string; mount: string };
  transitMount: string;
  keyName: string;
  namespace?: string;
  requestTimeoutMs: number;
}

export interface LocalKeyringConfig {
  engine: "local-keyring";
  keyringFile: string;
  keyName: string;
}

export const DEFAULT_KEYRING_FILE = ".latchkey/keyring.json";

export function loadSecretsConfig(env: Env): SecretsConfig {
  const addr = str(env, "VAULT_ADDR");
  if (!addr) {
    const dataDir = str(env, "LATCHKEY_DATA_DIR");
    const file = str(env, "LATCHKEY_KEYRING_FILE") ?? (dataDir ? `${dataDir}/keyring.json` : DEFAULT_KEYRING_FILE);
    return { engine: "local-keyring", keyringFile: file, keyName: "latchkey" };
  }
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw new InvalidArgument("VAULT_ADDR", "must be a URL such as https://vault.internal:8200");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgument("VAULT_ADDR", "must use http or https");
  }
  const token = str(env, "VAULT_TOKEN");
  const roleId = str(env, "VAULT_ROLE_ID");
  const secretId = str(env, "VAULT_SECRET_ID");
  let auth: VaultTransitConfig["auth"];
  if (roleId || secretId) {
    if (!roleId || !secretId) throw new InvalidArgument(roleId ? "VAULT_SECRET_ID" : "VAULT_ROLE_ID", "VAULT_ROLE_ID and VAULT_SECRET_ID go together");
    auth = { kind: "approle", roleId, secretId, mount: trimSlashes(str(env, "VAULT_APPROLE_MOUNT") ?? "approle") };
  } else if (token) {
    auth = { kind: "token", token };
  } else {
    throw new InvalidArgument("VAULT_TOKEN", "VAULT_ADDR is set: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID");
  }
  const keyName = str(env, "VAULT_TRANSIT_KEY") ?? "latchkey";
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(keyName)) {
    throw new InvalidArgument("VAULT_TRANSIT_KEY", "letters, digits, '.', '_' and '-' only");
  }
  const requestTimeoutMs = intFrom(env, "VAULT_REQUEST_TIMEOUT_MS", 5_000, 1, 600_000);
  const namespace = str(env, "VAULT_NAMESPACE");
  return {
    engine: "vault-transit",
    addr: addr.replace(/\/+$/, ""),
    auth,
    transitMount: trimSlashes(str(env, "VAULT_TRANSIT_MOUNT") ?? "transit"),
    keyName,
    ...(namespace ? { namespace } : {}),
    requestTimeoutMs,
  };
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, "");
}

/** The configuration with secrets removed, for the startup log line. */
export function describeSecretsConfig(c: SecretsConfig): Record<string, unknown> {
  if (c.engine === "local-keyring") return { engine: c.engine, keyringFile: c.keyringFile, keyName: c.keyName };
  return {
    engine: c.engine,
    addr: c.addr,
    auth: c.auth.kind,
    transitMount: c.transitMount,
    keyName: c.keyName,
    namespace: c.namespace,
    requestTimeoutMs: c.requestTimeoutMs,
  };
}
