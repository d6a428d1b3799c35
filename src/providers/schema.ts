/**
 * The declarative provider schema (after Nango's providers.yaml): a provider is data, checked here
 * once at startup, so a typo in the catalogue or in a custom-provider file fails loudly before any
 * user is sent to a broken authorization URL. Quirks are fields, never branches on a name.
 */
import type { AuthType } from "./types.js";

export type ClientAuthMethod = "client_secret_basic" | "client_secret_post";
export type BodyFormat = "form" | "json";
export type WebhookSchemeName = "github" | "slack" | "stripe" | "discord" | "standard-webhooks" | "linear";

export interface RevokeDefinition {
  /** May hold `{client_id}` and `{token}` placeholders (URL-encoded on substitution). */
  url: string;
  method: "POST" | "DELETE";
  /** Which token to revoke: revoking a refresh token ends the whole grant at most providers. */
  token: "refresh_token" | "access_token";
  client_auth: ClientAuthMethod | "none";
  /** "none": the token travels only in the URL (`{token}`). */
  body_format: BodyFormat | "none";
  /** Body field carrying the token; RFC 7009 says "token". */
  token_param: string;
  /** Send RFC 7009's token_type_hint. */
  token_type_hint: boolean;
}

export interface UserinfoDefinition {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  /** JSON body for POST (e.g. a GraphQL query). */
  json_body?: unknown;
  /** Dotted paths into the answer; the first non-empty string wins. */
  username_paths: string[];
}

export interface OAuthDefinition {
  /** authorization_code: a browser flow; client_credentials: server-to-server, no user consent. */
  grant: "authorization_code" | "client_credentials";
  authorize_url?: string;
  token_url: string;
  default_scopes: string[];
  scope_separator: string;
  /** Query parameter carrying scopes on the authorize URL (Slack user tokens use "user_scope"). */
  scope_param: string;
  pkce: boolean;
  client_auth: ClientAuthMethod;
  body_format: BodyFormat;
  /** Extra headers on token-endpoint requests (e.g. Accept: application/json, a User-Agent). */
  token_headers?: Record<string, string>;
  /** Extra authorize-URL parameters (Google: access_type=offline, prompt=consent). */
  authorize_params?: Record<string, string>;
  /** Dotted path to the object holding the tokens when the answer nests them (Slack: "authed_user"); else the top level. */
  token_path?: string;
  /** Dotted paths to the username in the token answer itself, tried before userinfo. */
  username_paths?: string[];
  userinfo?: UserinfoDefinition;
  revoke?: RevokeDefinition;
  refresh: boolean;
  rotates_refresh_token: boolean;
  /**
   * OAuth error codes meaning "the grant is dead, ask the user again" (RFC 6749's invalid_grant,
   * plus provider spellings such as GitHub's bad_refresh_token or Slack's invalid_refresh_token).
   */
  reauth_errors: string[];
  /** Lifetime assumed when the token answer has no expires_in; absent means "never expires". */
  default_expires_in_seconds?: number;
  /** Refresh this long before expiry in the background. */
  refresh_margin_seconds: number;
}

export interface ProviderDefinition {
  /** Stable id, equal to the API string: lowercase, digits, underscores. */
  name: string;
  display_name: string;
  category: string;
  auth_types: AuthType[];
  docs_url?: string;
  /** Human notes on quirks, rendered into docs/PROVIDERS.md. */
  notes?: string[];
  oauth?: OAuthDefinition;
  webhook?: { scheme: WebhookSchemeName; registrar?: string };
}

/** What authors write: defaults filled in by `validateProviderDefinition`. */
export type ProviderDefinitionInput = Omit<ProviderDefinition, "oauth"> & {
  oauth?: Partial<Omit<OAuthDefinition, "revoke" | "userinfo">> & {
    token_url: string;
    revoke?: Partial<RevokeDefinition> & { url: string };
    userinfo?: Partial<UserinfoDefinition> & { url: string; username_paths: string[] };
  };
};

export class ProviderSchemaError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid provider definitions:\n  ${problems.join("\n  ")}`);
    this.name = "ProviderSchemaError";
  }
}

const NAME_RE = /^[a-z][a-z0-9_]{0,62}$/;
const SCHEMES: WebhookSchemeName[] = ["github", "slack", "stripe", "discord", "standard-webhooks", "linear"];
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

class Checker {
  readonly problems: string[] = [];
  constructor(private readonly prefix: string) {}
  fail(path: string, reason: string): void {
    this.problems.push(`${this.prefix}${path}: ${reason}`);
  }
  str(o: Obj, key: string, path: string, opts: { optional?: boolean; re?: RegExp } = {}): string | undefined {
    const v = o[key];
    if (v === undefined && opts.optional) return undefined;
    if (typeof v !== "string" || v.length === 0) return void this.fail(`${path}${key}`, "must be a non-empty string");
    if (opts.re && !opts.re.test(v)) return void this.fail(`${path}${key}`, `must match ${opts.re}`);
    return v;
  }
  url(o: Obj, key: string, path: string, optional = false): string | undefined {
    const v = this.str(o, key, path, { optional });
    if (v === undefined) return undefined;
    let u: URL;
    try {
      // Placeholders are not valid URL characters in every position; check the shape without them.
      u = new URL(v.replaceAll(/\{(client_id|token)\}/g, "x"));
    } catch {
      return void this.fail(`${path}${key}`, "must be an absolute URL");
    }
    // Plain http only for loopback hosts (tests, local look-alikes); tokens never cross a network in clear.
    if (u.protocol !== "https:" && !(u.protocol === "http:" && LOOPBACK.has(u.hostname))) {
      return void this.fail(`${path}${key}`, "must be https (http only for localhost)");
    }
    return v;
  }
  oneOf<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[], dflt?: T): T | undefined {
    const v = o[key] ?? dflt;
    if (typeof v !== "string" || !allowed.includes(v as T)) {
      return void this.fail(`${path}${key}`, `must be one of ${allowed.join(", ")}`);
    }
    return v as T;
  }
  bool(o: Obj, key: string, path: string, dflt: boolean): boolean {
    const v = o[key] ?? dflt;
    if (typeof v !== "boolean") this.fail(`${path}${key}`, "must be a boolean");
    return v === true;
  }
  strings(o: Obj, key: string, path: string, dflt?: string[]): string[] {
    const v = o[key] ?? dflt;
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string" || s.length === 0)) {
      this.fail(`${path}${key}`, "must be a list of non-empty strings");
      return [];
    }
    return [...(v as string[])];
  }
  record(o: Obj, key: string, path: string): Record<string, string> | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (!isObj(v) || Object.values(v).some((s) => typeof s !== "string")) {
      return void this.fail(`${path}${key}`, "must be a map of strings");
    }
    return { ...(v as Record<string, string>) };
  }
  posInt(o: Obj, key: string, path: string, dflt?: number): number | undefined {
    const v = o[key] ?? dflt;
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      return void this.fail(`${path}${key}`, "must be a positive integer");
    }
    return v;
  }
}

const KNOWN_TOP = new Set(["name", "display_name", "category", "auth_types", "docs_url", "notes", "oauth", "webhook"]);

function checkUnknown(c: Checker, o: Obj, known: Set<string>, path: string): void {
  for (const k of Object.keys(o)) if (!known.has(k)) c.fail(`${path}${k}`, "unknown field");
}

const OAUTH_KEYS = new Set([
  "grant", "authorize_url", "token_url", "default_scopes", "scope_separator", "scope_param", "pkce", "client_auth",
  "body_format", "token_headers", "authorize_params", "token_path", "username_paths", "userinfo", "revoke", "refresh",
  "rotates_refresh_token", "reauth_errors", "default_expires_in_seconds", "refresh_margin_seconds",
]);

function checkOAuth(c: Checker, o: Obj): OAuthDefinition {
  const p = "oauth.";
  checkUnknown(c, o, OAUTH_KEYS, p);
  const grant = c.oneOf(o, "grant", p, ["authorization_code", "client_credentials"] as const, "authorization_code");
  const def: OAuthDefinition = {
    grant: grant ?? "authorization_code",
    authorize_url: c.url(o, "authorize_url", p, grant === "client_credentials"),
    token_url: c.url(o, "token_url", p) ?? "",
    default_scopes: c.strings(o, "default_scopes", p, []),
    scope_separator: typeof o.scope_separator === "string" ? o.scope_separator : " ",
    scope_param: c.str(o, "scope_param", p, { optional: true }) ?? "scope",
    pkce: c.bool(o, "pkce", p, false),
    client_auth: c.oneOf(o, "client_auth", p, ["client_secret_basic", "client_secret_post"] as const, "client_secret_post")!,
    body_format: c.oneOf(o, "body_format", p, ["form", "json"] as const, "form")!,
    token_headers: c.record(o, "token_headers", p),
    authorize_params: c.record(o, "authorize_params", p),
    token_path: c.str(o, "token_path", p, { optional: true }),
    username_paths: o.username_paths === undefined ? undefined : c.strings(o, "username_paths", p),
    refresh: c.bool(o, "refresh", p, false),
    rotates_refresh_token: c.bool(o, "rotates_refresh_token", p, false),
    reauth_errors: c.strings(o, "reauth_errors", p, ["invalid_grant"]),
    default_expires_in_seconds: c.posInt(o, "default_expires_in_seconds", p),
    refresh_margin_seconds: c.posInt(o, "refresh_margin_seconds", p, 300) ?? 300,
  };
  if (def.rotates_refresh_token && !def.refresh) c.fail(`${p}rotates_refresh_token`, "requires refresh: true");
  if (def.pkce && def.grant !== "authorization_code") c.fail(`${p}pkce`, "only applies to authorization_code");
  if (o.userinfo !== undefined) {
    const u = o.userinfo;
    const up = `${p}userinfo.`;
    if (!isObj(u)) c.fail(`${p}userinfo`, "must be an object");
    else {
      checkUnknown(c, u, new Set(["url", "method", "headers", "json_body", "username_paths"]), up);
      def.userinfo = {
        url: c.url(u, "url", up) ?? "",
        method: c.oneOf(u, "method", up, ["GET", "POST"] as const, "GET")!,
        headers: c.record(u, "headers", up),
        json_body: u.json_body,
        username_paths: c.strings(u, "username_paths", up),
      };
    }
  }
  if (o.revoke !== undefined) {
    const r = o.revoke;
    const rp = `${p}revoke.`;
    if (!isObj(r)) c.fail(`${p}revoke`, "must be an object");
    else {
      checkUnknown(c, r, new Set(["url", "method", "token", "client_auth", "body_format", "token_param", "token_type_hint"]), rp);
      def.revoke = {
        url: c.url(r, "url", rp) ?? "",
        method: c.oneOf(r, "method", rp, ["POST", "DELETE"] as const, "POST")!,
        token: c.oneOf(r, "token", rp, ["refresh_token", "access_token"] as const, "refresh_token")!,
        client_auth: c.oneOf(r, "client_auth", rp, ["client_secret_basic", "client_secret_post", "none"] as const, def.client_auth)!,
        body_format: c.oneOf(r, "body_format", rp, ["form", "json", "none"] as const, "form")!,
        token_param: c.str(r, "token_param", rp, { optional: true }) ?? "token",
        token_type_hint: c.bool(r, "token_type_hint", rp, true),
      };
    }
  }
  return def;
}

/** Validates one definition and fills defaults. Throws ProviderSchemaError listing every problem. */
export function validateProviderDefinition(input: unknown, where = "provider"): ProviderDefinition {
  const c = new Checker(`${where}.`);
  if (!isObj(input)) throw new ProviderSchemaError([`${where}: must be an object`]);
  checkUnknown(c, input, KNOWN_TOP, "");
  const authTypes = c.strings(input, "auth_types", "");
  for (const a of authTypes) if (a !== "oauth2" && a !== "api_key") c.fail("auth_types", `unknown auth type "${a}"`);
  const def: ProviderDefinition = {
    name: c.str(input, "name", "", { re: NAME_RE }) ?? "",
    display_name: c.str(input, "display_name", "") ?? "",
    category: c.str(input, "category", "") ?? "",
    auth_types: authTypes as AuthType[],
    docs_url: c.url(input, "docs_url", "", true),
    notes: input.notes === undefined ? undefined : c.strings(input, "notes", ""),
  };
  if (authTypes.length === 0) c.fail("auth_types", "must name at least one auth type");
  if (authTypes.includes("oauth2")) {
    if (!isObj(input.oauth)) c.fail("oauth", "required when auth_types has oauth2");
    else def.oauth = checkOAuth(c, input.oauth);
  } else if (input.oauth !== undefined) c.fail("oauth", "only allowed when auth_types has oauth2");
  if (input.webhook !== undefined) {
    if (!isObj(input.webhook)) c.fail("webhook", "must be an object");
    else {
      checkUnknown(c, input.webhook, new Set(["scheme", "registrar"]), "webhook.");
      const scheme = c.oneOf(input.webhook, "scheme", "webhook.", SCHEMES);
      const registrar = c.str(input.webhook, "registrar", "webhook.", { optional: true });
      if (scheme) def.webhook = registrar ? { scheme, registrar } : { scheme };
    }
  }
  if (c.problems.length > 0) throw new ProviderSchemaError(c.problems);
  return def;
}

/** Validates a whole list, reporting every problem at once, and refuses duplicate names. */
export function validateProviderDefinitions(inputs: unknown[], where = "providers"): ProviderDefinition[] {
  const problems: string[] = [];
  const out: ProviderDefinition[] = [];
  const seen = new Set<string>();
  inputs.forEach((input, i) => {
    const label = isObj(input) && typeof input.name === "string" ? `${where}[${input.name}]` : `${where}[${i}]`;
    try {
      const def = validateProviderDefinition(input, label);
      if (seen.has(def.name)) problems.push(`${label}: duplicate provider name`);
      seen.add(def.name);
      out.push(def);
    } catch (err) {
      if (err instanceof ProviderSchemaError) problems.push(...err.problems);
      else throw err;
    }
  });
  if (problems.length > 0) throw new ProviderSchemaError(problems);
  return out;
}
