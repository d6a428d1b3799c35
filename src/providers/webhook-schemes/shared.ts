/** Small helpers every scheme shares: header access, constant-time compares, timestamp windows. */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { HeaderBag, VerifyFailureReason } from "./types.js";

/** The header's single value, trimmed; undefined when absent or empty. Repeated headers use the first. */
export function header(headers: HeaderBag, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value ? value : undefined;
}

/** Constant-time equality of two byte strings. A length difference leaks only the length. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export function hmacSha256(key: Buffer | string, ...parts: (Buffer | string)[]): Buffer {
  const mac = createHmac("sha256", key);
  for (const p of parts) mac.update(p);
  return mac.digest();
}

const HEX = /^[0-9a-f]+$/i;

/** Decodes strict hex (even length); undefined otherwise, so garbage never reaches the compare. */
export function fromHex(value: string): Buffer | undefined {
  if (value.length === 0 || value.length % 2 !== 0 || !HEX.test(value)) return undefined;
  return Buffer.from(value, "hex");
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function fromBase64(value: string): Buffer | undefined {
  if (value.length === 0 || value.length % 4 !== 0 || !B64.test(value)) return undefined;
  return Buffer.from(value, "base64");
}

/** Whole seconds since the epoch, digits only (no sign, exponent or fraction). */
export function parseUnixSeconds(value: string): number | undefined {
  return /^\d{1,12}$/.test(value) ? Number(value) : undefined;
}

/** Rejects timestamps more than `toleranceSeconds` away from now, in either direction (replays and clock games). */
export function checkWindow(timestampSeconds: number, now: number, toleranceSeconds: number): VerifyFailureReason | undefined {
  const skew = now / 1000 - timestampSeconds;
  if (skew > toleranceSeconds) return "stale_timestamp";
  if (-skew > toleranceSeconds) return "future_timestamp";
  return undefined;
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** True when the request body is JSON by its content type (schemes that also accept forms check this). */
export function isJsonContent(headers: HeaderBag): boolean {
  const ct = header(headers, "content-type") ?? "";
  return /^application\/(?:[\w.+-]*\+)?json\b/i.test(ct);
}
