/**
 * Request validation shared by every service implementation. Each check throws InvalidArgument
 * naming the proto field, so clients learn exactly what to fix.
 */
import { InvalidArgument } from "../domain/errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireUserId(value: string, field = "user_id"): string {
  if (value.length === 0) throw new InvalidArgument(field, "is required");
  if (value.length > 256) throw new InvalidArgument(field, "must be at most 256 characters");
  return noNul(value, field);
}

/** Postgres text and jsonb cannot hold U+0000: refuse it here rather than fail in the database. */
export function noNul(value: string, field: string): string {
  if (value.includes("\u0000")) throw new InvalidArgument(field, "must not contain NUL characters");
  return value;
}

export function requireUuid(value: string, field: string): string {
  if (value.length === 0) throw new InvalidArgument(field, "is required");
  if (!UUID.test(value)) throw new InvalidArgument(field, "must be a UUID");
  return value.toLowerCase();
}

export function optionalUuid(value: string, field: string): string | undefined {
  return value === "" ? undefined : requireUuid(value, field);
}

export function requireString(value: string, field: string, max: number): string {
  if (value.length === 0) throw new InvalidArgument(field, "is required");
  return maxLength(value, field, max);
}

export function maxLength(value: string, field: string, max: number): string {
  if (value.length > max) throw new InvalidArgument(field, `must be at most ${max} characters`);
  return noNul(value, field);
}

export function validateMetadata(metadata: Record<string, string>, field = "metadata"): Record<string, string> {
  const entries = Object.entries(metadata);
  if (entries.length > 64) throw new InvalidArgument(field, "must have at most 64 entries");
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 128) throw new InvalidArgument(field, "keys must be 1..128 characters");
    if (v.length > 2048) throw new InvalidArgument(field, `value of "${k}" must be at most 2048 characters`);
    noNul(k, field);
    noNul(v, field);
  }
  return metadata;
}

/** 0 means the default; anything else must lie in 1..max. */
export function pageSize(value: number, field = "page_size", dflt = 50, max = 1000): number {
  if (value === 0) return dflt;
  if (!Number.isInteger(value) || value < 0 || value > max) throw new InvalidArgument(field, `must be between 1 and ${max}`);
  return value;
}

/** Opaque keyset cursors: base64url JSON. Callers must pass back exactly what they were given. */
export function encodePageToken(cursor: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

export function decodePageToken<T extends Record<string, string | number>>(
  token: string,
  shape: { [K in keyof T]: "string" | "number" },
  field = "page_token",
): T | undefined {
  if (token === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new InvalidArgument(field, "is not a token this service issued");
  }
  if (typeof parsed !== "object" || parsed === null) throw new InvalidArgument(field, "is not a token this service issued");
  for (const [k, t] of Object.entries(shape)) {
    if (typeof (parsed as Record<string, unknown>)[k] !== t) throw new InvalidArgument(field, "is not a token this service issued");
  }
  return parsed as T;
}
