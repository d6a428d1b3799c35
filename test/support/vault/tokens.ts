/**
 * Tokens of the test Vault: a root token (no TTL, not renewable) and service tokens issued by
 * AppRole login, with a TTL that renew-self extends (capped by max TTL) and that really expires.
 * Shapes follow Vault's /auth/token/lookup-self, /auth/token/renew-self and /auth/approle/login.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { UserError } from "./transit-keys.js";

export interface TokenEntry {
  id: string;
  accessor: string;
  policies: string[];
  path: string;
  meta: Record<string, string> | null;
  issuedAt: number;
  /** Seconds; 0 = never expires (root). */
  creationTtl: number;
  expiresAt: number | undefined;
  maxExpiresAt: number | undefined;
  renewable: boolean;
}

export interface AppRoleOptions {
  roleId: string;
  secretId: string;
  /** token_ttl in seconds (default 3600). */
  tokenTtl?: number;
  /** token_max_ttl in seconds (default 86400). */
  tokenMaxTtl?: number;
  /** Set false to hand out tokens that cannot be renewed. */
  renewable?: boolean;
  mount?: string;
}

export class Tokens {
  private readonly byId = new Map<string, TokenEntry>();
  readonly rootToken: string;
  /** Counters the tests read to prove login and renewal happened. */
  readonly stats = { logins: 0, renewals: 0, lookups: 0 };
  /** When set, renew-self answers this error (simulates a revoked or broken token). */
  failRenewals = false;

  constructor(
    private readonly approle: AppRoleOptions | undefined,
    rootToken?: string,
  ) {
    this.rootToken = rootToken ?? newTokenId();
    this.byId.set(this.rootToken, {
      id: this.rootToken,
      accessor: randomUUID(),
      policies: ["root"],
      path: "auth/token/root",
      meta: null,
      issuedAt: Date.now(),
      creationTtl: 0,
      expiresAt: undefined,
      maxExpiresAt: undefined,
      renewable: false,
    });
  }

  /** The live entry for a token, or undefined (unknown or expired: Vault answers 403 to both). */
  check(id: string | undefined): TokenEntry | undefined {
    if (!id) return undefined;
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && Date.now() >= entry.expiresAt) {
      this.byId.delete(id);
      return undefined;
    }
    return entry;
  }

  revoke(id: string): void {
    this.byId.delete(id);
  }

  /** The tokens AppRole login issued and that are still alive. */
  liveLoginTokens(): string[] {
    return [...this.byId.values()].filter((e) => e.path.startsWith("auth/") && this.check(e.id)).map((e) => e.id);
  }

  login(body: Record<string, unknown>): Record<string, unknown> {
    const role = this.approle;
    if (!role || body.role_id !== role.roleId || body.secret_id !== role.secretId) {
      throw new UserError("invalid role or secret ID");
    }
    this.stats.logins += 1;
    const ttl = role.tokenTtl ?? 3600;
    const now = Date.now();
    const entry: TokenEntry = {
      id: newTokenId(),
      accessor: randomUUID(),
      policies: ["default", "latchkey"],
      path: `auth/${role.mount ?? "approle"}/login`,
      meta: { role_name: "latchkey" },
      issuedAt: now,
      creationTtl: ttl,
      expiresAt: now + ttl * 1000,
      maxExpiresAt: now + (role.tokenMaxTtl ?? 86_400) * 1000,
      renewable: role.renewable ?? true,
    };
    this.byId.set(entry.id, entry);
    return authBlock(entry);
  }

  lookupSelf(entry: TokenEntry): Record<string, unknown> {
    this.stats.lookups += 1;
    return {
      accessor: entry.accessor,
      creation_time: Math.floor(entry.issuedAt / 1000),
      creation_ttl: entry.creationTtl,
      display_name: entry.path === "auth/token/root" ? "root" : "approle",
      entity_id: "",
      expire_time: entry.expiresAt ? new Date(entry.expiresAt).toISOString() : null,
      explicit_max_ttl: 0,
      id: entry.id,
      issue_time: new Date(entry.issuedAt).toISOString(),
      meta: entry.meta,
      num_uses: 0,
      orphan: true,
      path: entry.path,
      policies: entry.policies,
      renewable: entry.renewable,
      ttl: remainingTtl(entry),
      type: "service",
    };
  }

  renewSelf(entry: TokenEntry, body: Record<string, unknown>): Record<string, unknown> {
    if (this.failRenewals) throw new UserError("invalid lease ID");
    if (!entry.renewable || entry.expiresAt === undefined) throw new UserError("lease is not renewable");
    this.stats.renewals += 1;
    const increment = Number(body.increment ?? 0) || entry.creationTtl;
    const now = Date.now();
    entry.expiresAt = Math.min(now + increment * 1000, entry.maxExpiresAt ?? Infinity);
    return authBlock(entry);
  }
}

function authBlock(entry: TokenEntry): Record<string, unknown> {
  return {
    client_token: entry.id,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: entry.meta,
    lease_duration: remainingTtl(entry),
    renewable: entry.renewable,
    entity_id: "",
    token_type: "service",
    orphan: true,
  };
}

function remainingTtl(entry: TokenEntry): number {
  return entry.expiresAt === undefined ? 0 : Math.max(0, Math.round((entry.expiresAt - Date.now()) / 1000));
}

function newTokenId(): string {
  return `hvs.${randomBytes(18).toString("base64url")}`;
}
