/**
 * Who may call the internal ports. Callers are configured as `{ name, role, token_sha256 }`: only
 * the token's SHA-256 is stored, so the configuration itself holds no usable secret. A request's
 * `authorization: Bearer <token>` is hashed and looked up; the role then decides which RPCs it may
 * call (src/api/authorization.ts).
 */
import { hash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { DescMethod } from "@bufbuild/protobuf";
import { parse as parseYaml } from "yaml";
import { roleMayCall } from "../api/authorization.js";
import type { Caller, Role } from "../api/types.js";
import { InvalidArgument, PermissionDenied, Unauthenticated } from "../domain/errors.js";

export const ROLES: readonly Role[] = ["executor", "backend", "consumer", "operator"];

export interface CallerConfig {
  name: string;
  role: Role;
  /** Lowercase hex SHA-256 of the bearer token. */
  token_sha256: string;
}

export interface Authenticator {
  /** Resolves the caller from an `authorization` header value; throws Unauthenticated. */
  authenticate(authorization: string | undefined): Caller;
  /** Throws PermissionDenied unless the caller's role may call the method. */
  authorize(caller: Caller, method: DescMethod): void;
}

/** One-shot crypto.hash: no Hash object per call (this runs on every RPC). */
export function hashToken(token: string): string {
  return hash("sha256", token, "hex");
}

/** Validates a parsed callers document (an array, or `{ callers: [...] }`). `source` names it in errors. */
export function parseCallers(doc: unknown, source: string): CallerConfig[] {
  const list = Array.isArray(doc) ? doc : (doc as { callers?: unknown } | null)?.callers;
  if (!Array.isArray(list)) throw new InvalidArgument(source, "must be a JSON/YAML array of { name, role, token_sha256 }");
  const names = new Set<string>();
  const hashes = new Set<string>();
  return list.map((entry: unknown, i) => {
    const at = `${source}[${i}]`;
    if (typeof entry !== "object" || entry === null) throw new InvalidArgument(at, "must be an object");
    const { name, role, token_sha256 } = entry as Record<string, unknown>;
    if (typeof name !== "string" || name.trim() === "") throw new InvalidArgument(`${at}.name`, "must be a non-empty string");
    if (typeof role !== "string" || !ROLES.includes(role as Role)) {
      throw new InvalidArgument(`${at}.role`, `must be one of ${ROLES.join(", ")}`);
    }
    if (typeof token_sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(token_sha256)) {
      throw new InvalidArgument(`${at}.token_sha256`, "must be the 64 hex digits of the token's SHA-256");
    }
    const hash = token_sha256.toLowerCase();
    if (names.has(name)) throw new InvalidArgument(`${at}.name`, `duplicate caller name "${name}"`);
    if (hashes.has(hash)) throw new InvalidArgument(`${at}.token_sha256`, "duplicate token");
    names.add(name);
    hashes.add(hash);
    return { name, role: role as Role, token_sha256: hash };
  });
}

/**
 * Reads callers from LATCHKEY_CALLERS (JSON) or LATCHKEY_CALLERS_FILE (JSON or YAML; YAML is a
 * superset of JSON, so one parser reads both). Setting both is an error: which would win is unclear.
 */
export function loadCallers(env: Record<string, string | undefined>): CallerConfig[] {
  const inline = env.LATCHKEY_CALLERS?.trim();
  const file = env.LATCHKEY_CALLERS_FILE?.trim();
  if (inline && file) throw new InvalidArgument("LATCHKEY_CALLERS", "set either LATCHKEY_CALLERS or LATCHKEY_CALLERS_FILE, not both");
  if (inline) {
    let doc: unknown;
    try {
      doc = JSON.parse(inline);
    } catch {
      throw new InvalidArgument("LATCHKEY_CALLERS", "is not valid JSON");
    }
    return parseCallers(doc, "LATCHKEY_CALLERS");
  }
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new InvalidArgument("LATCHKEY_CALLERS_FILE", `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch {
      throw new InvalidArgument("LATCHKEY_CALLERS_FILE", `${file} is neither valid JSON nor YAML`);
    }
    return parseCallers(doc, "LATCHKEY_CALLERS_FILE");
  }
  return [];
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export function createAuthenticator(callers: readonly CallerConfig[]): Authenticator {
  const byHash = new Map<string, Caller>();
  for (const c of callers) byHash.set(c.token_sha256.toLowerCase(), Object.freeze({ name: c.name, role: c.role }));
  return {
    authenticate(authorization) {
      if (!authorization) throw new Unauthenticated("missing bearer token");
      const match = BEARER.exec(authorization);
      if (!match?.[1]) throw new Unauthenticated("authorization must be a bearer token");
      // Messages never echo the token.
      const caller = byHash.get(hashToken(match[1]));
      if (!caller) throw new Unauthenticated("unknown token");
      return caller;
    },
    authorize(caller, method) {
      if (!roleMayCall(caller.role, method)) {
        throw new PermissionDenied(`role ${caller.role} may not call ${method.parent.typeName}/${method.name}`);
      }
    },
  };
}

/** The roles that may call a method, computed once so the hot path is a Set lookup. */
export function rolesAllowed(method: DescMethod): ReadonlySet<Role> {
  return new Set(ROLES.filter((r) => roleMayCall(r, method)));
}
