/**
 * Picks and builds the secret engine from configuration: Vault transit when VAULT_ADDR is set,
 * else the local keyring (dev mode, single node). The only place that knows both engines.
 */
import { describeSecretsConfig, type SecretsConfig } from "../config/secrets.js";
import type { Logger } from "../observability/logger.js";
import { createLocalKeyring } from "./local-keyring.js";
import type { SecretStore } from "./secret-store.js";
import { createVaultTransit } from "./vault-transit.js";

export async function createSecretStore(config: SecretsConfig, logger: Logger): Promise<SecretStore> {
  const log = logger.child({ component: "secrets" });
  log.info(describeSecretsConfig(config), "secret store");
  if (config.engine === "local-keyring") {
    return createLocalKeyring({ file: config.keyringFile, keyName: config.keyName });
  }
  const auth =
    config.auth.kind === "token"
      ? { token: config.auth.token }
      : { roleId: config.auth.roleId, secretId: config.auth.secretId, approleMount: config.auth.mount };
  return createVaultTransit({
    addr: config.addr,
    ...auth,
    transitMount: config.transitMount,
    keyName: config.keyName,
    ...(config.namespace ? { namespace: config.namespace } : {}),
    requestTimeoutMs: config.requestTimeoutMs,
    logger: log,
  });
}
