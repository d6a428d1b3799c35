/**
 * Shared readers for the configuration loaders. Every failure is an `InvalidArgument` naming the
 * environment variable.
 */
import { InvalidArgument } from "../domain/errors.js";

export type Env = Record<string, string | undefined>;

/** The trimmed value, or undefined when unset or blank. */
export function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/**
 * A non-negative decimal integer within [min, max]; `fallback` when unset or blank.
 * `malformed` is the reason given for a value that is not digits only.
 */
export function intFrom(env: Env, name: string, fallback: number, min: number, max: number, malformed?: string): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new InvalidArgument(name, malformed ?? `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new InvalidArgument(name, `must be between ${min} and ${max}`);
  return n;
}

/**
 * LATCHKEY_PUBLIC_URL when unset: the public port on loopback, as dev mode serves it. Both the
 * OAuth callback and webhook ingress URLs derive from it, so both loaders use this one default.
 */
export function defaultPublicUrl(env: Env): string {
  return `http://127.0.0.1:${env.HTTP_PUBLIC_PORT?.trim() || "8080"}`;
}
