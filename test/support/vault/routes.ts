/**
 * Every path the test Vault serves, in one table (as transit's backend.go lists its paths).
 * Paths are relative to /v1/. Bodies follow Vault's HTTP API: a response envelope with `data` or
 * `auth`, `{"errors":[...]}` for failures, 400 for caller mistakes, 404 for a key that is not there,
 * and batch requests answered item by item in `batch_results` (400 overall if any item failed).
 */
import type { TokenEntry, Tokens } from "./tokens.js";
import { UserError, type TransitKey, type TransitKeys } from "./transit-keys.js";

export interface Reply {
  status?: number;
  body?: unknown;
}

export interface RouteContext {
  params: string[];
  body: Record<string, unknown>;
  token: TokenEntry | undefined;
}

export interface Route {
  /** "write" matches POST and PUT, as in Vault. */
  method: "read" | "write";
  pattern: RegExp;
  /** false for the few paths callable without a token (login, health). */
  authenticated: boolean;
  handle(ctx: RouteContext): Reply;
}

export function envelope(data: unknown, auth: unknown = null): Record<string, unknown> {
  return {
    request_id: crypto.randomUUID(),
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth,
  };
}

/** Runs `one` per item of batch_input, or once on the body when there is none. */
function batch(body: Record<string, unknown>, one: (item: Record<string, unknown>) => Record<string, unknown>): Reply {
  const input = body.batch_input;
  if (input === undefined) return { body: envelope(one(body)) };
  if (!Array.isArray(input) || input.length === 0) throw new UserError("missing batch input to process");
  let userError = false;
  const results = input.map((raw) => {
    const item = (raw ?? {}) as Record<string, unknown>;
    const reference = typeof item.reference === "string" ? item.reference : "";
    try {
      return { ...one(item), reference };
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      userError = true;
      return { error: err.message, reference };
    }
  });
  return { status: userError ? 400 : 200, body: envelope({ batch_results: results }) };
}

export interface RouteOptions {
  transitMount: string;
  approleMount: string;
  keys: TransitKeys;
  tokens: Tokens;
  isSealed(): boolean;
}

export function buildRoutes(o: RouteOptions): Route[] {
  const m = escape(o.transitMount);
  const name = "([A-Za-z0-9_.-]+)";
  const keyOr400 = (n: string): TransitKey => {
    const key = o.keys.get(n);
    if (!key) throw new UserError("encryption key not found");
    return key;
  };
  return [
    {
      method: "read",
      pattern: /^sys\/health$/,
      authenticated: false,
      handle: () => ({
        status: o.isSealed() ? 503 : 200,
        body: {
          initialized: true,
          sealed: o.isSealed(),
          standby: false,
          performance_standby: false,
          replication_performance_mode: "disabled",
          replication_dr_mode: "disabled",
          server_time_utc: Math.floor(Date.now() / 1000),
          version: "1.17.0+latchkey-test",
          cluster_name: "latchkey-test",
          cluster_id: "00000000-0000-0000-0000-000000000000",
        },
      }),
    },
    {
      method: "write",
      pattern: new RegExp(`^auth/${escape(o.approleMount)}/login$`),
      authenticated: false,
      handle: ({ body }) => ({ body: envelope(null, o.tokens.login(body)) }),
    },
    {
      method: "read",
      pattern: /^auth\/token\/lookup-self$/,
      authenticated: true,
      handle: ({ token }) => ({ body: envelope(o.tokens.lookupSelf(token!)) }),
    },
    {
      method: "write",
      pattern: /^auth\/token\/renew-self$/,
      authenticated: true,
      handle: ({ token, body }) => ({ body: envelope(null, o.tokens.renewSelf(token!, body)) }),
    },
    // Order matters: the config and rotate sub-paths before the key itself.
    {
      method: "write",
      pattern: new RegExp(`^${m}/keys/${name}/config$`),
      authenticated: true,
      handle: ({ params, body }) => ({ body: envelope(o.keys.describe(o.keys.configure(params[0]!, body))) }),
    },
    {
      method: "write",
      pattern: new RegExp(`^${m}/keys/${name}/rotate$`),
      authenticated: true,
      handle: ({ params }) => ({ body: envelope(o.keys.describe(o.keys.rotate(params[0]!))) }),
    },
    {
      method: "read",
      pattern: new RegExp(`^${m}/keys/${name}$`),
      authenticated: true,
      handle: ({ params }) => {
        const key = o.keys.get(params[0]!);
        return key ? { body: envelope(o.keys.describe(key)) } : { status: 404, body: { errors: [] } };
      },
    },
    {
      method: "write",
      pattern: new RegExp(`^${m}/keys/${name}$`),
      authenticated: true,
      handle: ({ params, body }) => {
        const key = o.keys.create(params[0]!, { type: body.type as string | undefined, derived: body.derived === true });
        return { body: envelope(o.keys.describe(key)) };
      },
    },
    {
      method: "write",
      pattern: new RegExp(`^${m}/encrypt/${name}$`),
      authenticated: true,
      handle: ({ params, body }) => {
        // Upsert, as Vault does: a missing key is created, derived when a context is given.
        let key = o.keys.get(params[0]!);
        if (!key) {
          const first = Array.isArray(body.batch_input) ? (body.batch_input[0] as Record<string, unknown>) : body;
          key = o.keys.create(params[0]!, { derived: typeof first?.context === "string" && first.context !== "" });
        }
        const k = key;
        return batch(body, (item) => o.keys.encrypt(k, item));
      },
    },
    {
      method: "write",
      pattern: new RegExp(`^${m}/decrypt/${name}$`),
      authenticated: true,
      handle: ({ params, body }) => {
        const key = keyOr400(params[0]!);
        return batch(body, (item) => ({ plaintext: o.keys.decrypt(key, item) }));
      },
    },
    {
      method: "write",
      pattern: new RegExp(`^${m}/rewrap/${name}$`),
      authenticated: true,
      handle: ({ params, body }) => {
        const key = keyOr400(params[0]!);
        return batch(body, (item) => o.keys.rewrap(key, item));
      },
    },
  ];
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
