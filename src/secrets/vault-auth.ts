/**
 * Keeps the node-vault client holding a live token: a static token (VAULT_TOKEN), renewed with
 * renew-self when it has a TTL; or an AppRole login, renewed before its lease ends and replaced by
 * a fresh login when renewal fails or the token stops being renewable. Timers are unref'd so they
 * never keep the process alive, and stop at close().
 */
import type NodeVault from "node-vault";
import { Unavailable } from "../domain/errors.js";
import type { Logger } from "../observability/logger.js";
import { inspectVaultError, toDomainError } from "./vault-errors.js";

export type VaultAuth =
  | { kind: "token"; token: string }
  | { kind: "approle"; roleId: string; secretId: string; mount?: string };

export interface TokenKeeper {
  /** Logs in (AppRole) or checks the token (lookup-self), then schedules renewal. */
  start(): Promise<void>;
  /** After a 403: logs in again when AppRole is configured. True when there is a new token to retry with. */
  recover(): Promise<boolean>;
  close(): void;
}

export interface TokenKeeperOptions {
  /** Renew when this fraction of the lease has passed (default 2/3). */
  renewFraction?: number;
  /** Delay before retrying a failed login or renewal (default 5 s). */
  retryDelayMs?: number;
}

interface AuthBlock {
  lease_duration?: number;
  renewable?: boolean;
}

export function createTokenKeeper(
  client: NodeVault.client,
  auth: VaultAuth,
  log: Logger,
  opts: TokenKeeperOptions = {},
): TokenKeeper {
  const renewFraction = opts.renewFraction ?? 2 / 3;
  const retryDelayMs = opts.retryDelayMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let loggingIn: Promise<void> | undefined;
  let recovering: Promise<boolean> | undefined;

  function schedule(ms: number, fn: () => Promise<void>): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void fn(), Math.max(250, ms));
    timer.unref();
  }

  function scheduleRenewal(block: AuthBlock | undefined): void {
    const ttl = block?.lease_duration ?? 0;
    if (ttl > 0 && block?.renewable !== false) schedule(ttl * 1000 * renewFraction, renew);
    else if (ttl > 0 && auth.kind === "approle") schedule(ttl * 1000 * renewFraction, relogin);
  }

  async function login(): Promise<void> {
    if (auth.kind !== "approle") return;
    // Shared promise: concurrent 403s trigger one login, not one each.
    loggingIn ??= (async () => {
      try {
        // approleLogin stores the new client_token on the client itself (node-vault "tokenSource").
        const res = (await client.approleLogin({
          mount_point: auth.mount ?? "approle",
          role_id: auth.roleId,
          secret_id: auth.secretId,
        })) as { auth?: AuthBlock };
        log.info({ ttl: res.auth?.lease_duration }, "vault approle login succeeded");
        scheduleRenewal(res.auth);
      } catch (err) {
        const f = inspectVaultError(err);
        if (f.status === 400 || f.status === 403) {
          throw new Unavailable("vault", {
            detail: "AppRole login refused (check VAULT_ROLE_ID / VAULT_SECRET_ID)",
            cause: new Error(`vault login: ${f.message}`),
          });
        }
        throw toDomainError(err, "admin");
      } finally {
        loggingIn = undefined;
      }
    })();
    return loggingIn;
  }

  async function relogin(): Promise<void> {
    try {
      await login();
    } catch (err) {
      log.error({ err }, "vault approle login failed; retrying");
      schedule(retryDelayMs, relogin);
    }
  }

  async function renew(): Promise<void> {
    try {
      const res = (await client.tokenRenewSelf({})) as { auth?: AuthBlock };
      log.debug({ ttl: res.auth?.lease_duration }, "vault token renewed");
      if ((res.auth?.lease_duration ?? 0) > 0 && res.auth?.renewable !== false) return scheduleRenewal(res.auth);
      if (auth.kind === "approle") return relogin();
      log.warn("vault token is no longer renewable; it will expire");
    } catch (err) {
      log.warn({ err: toDomainError(err, "admin") }, "vault token renewal failed");
      if (auth.kind === "approle") return relogin();
      schedule(retryDelayMs, renew);
    }
  }

  return {
    async start() {
      if (auth.kind === "approle") return login();
      client.token = auth.token;
      let res: { data?: { ttl?: number; renewable?: boolean } };
      try {
        res = (await client.tokenLookupSelf()) as typeof res;
      } catch (err) {
        const f = inspectVaultError(err);
        if (f.status === 403) {
          throw new Unavailable("vault", {
            detail: "the token was refused (check VAULT_TOKEN: expired, revoked or mistyped)",
            cause: new Error(`vault lookup-self: ${f.message}`),
          });
        }
        throw toDomainError(err, "admin");
      }
      scheduleRenewal({ lease_duration: res.data?.ttl ?? 0, renewable: res.data?.renewable ?? false });
    },
    async recover() {
      if (auth.kind !== "approle" || closed) return false;
      // Log in again only if the token itself is dead: when lookup-self still accepts it, the 403 is
      // a policy problem and a login per call would only hammer Vault. Concurrent 403s share one check.
      recovering ??= (async (): Promise<boolean> => {
        try {
          if (loggingIn) {
            await loggingIn;
            return true;
          }
          const alive: boolean = await client.tokenLookupSelf().then(
            () => true,
            (err: unknown) => (inspectVaultError(err).status === 403 ? false : Promise.reject(err)),
          );
          if (alive) return false;
          await login();
          return true;
        } finally {
          recovering = undefined;
        }
      })();
      return recovering;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
