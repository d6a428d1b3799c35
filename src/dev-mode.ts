/**
 * Dev mode, the embedded default: what Latchkey does when it is started with nothing configured.
 * An embedded PostgreSQL under the data directory when there is no DATABASE_URL, loopback-only
 * listeners, and a generated operator token (kept in the data directory, printed at start) when no
 * callers are configured. Listening beyond loopback without configured callers is refused.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { hashToken, type CallerConfig } from "./auth/callers.js";
import { FailedPrecondition } from "./domain/errors.js";

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Reuses the dev operator token across restarts, like a dev server's root token, but never in git. */
export async function devOperatorToken(dataDir: string): Promise<string> {
  const file = path.join(dataDir, "dev-operator-token");
  const existing = await readFile(file, "utf8").catch(() => "");
  if (/^lk_dev_[A-Za-z0-9_-]{43}$/.test(existing.trim())) return existing.trim();
  const token = `lk_dev_${randomBytes(32).toString("base64url")}`;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(file, token + "\n", { mode: 0o600 });
  return token;
}

export interface CallerDecision {
  callers: CallerConfig[];
  /** Set when dev mode generated the operator token; main prints it. */
  devToken?: string;
}

/**
 * Configured callers win. With none, loopback-only listeners get a generated operator; anything
 * beyond loopback is refused, since it would expose secrets to whoever can reach the port.
 */
export async function decideCallers(configured: CallerConfig[], hosts: string[], dataDir: string): Promise<CallerDecision> {
  if (configured.length > 0) return { callers: configured };
  const exposed = [...new Set(hosts.filter((h) => !isLoopback(h)))];
  if (exposed.length > 0) {
    throw new FailedPrecondition(
      `refusing to listen on ${exposed.join(", ")} with no callers configured: set LATCHKEY_CALLERS or LATCHKEY_CALLERS_FILE, or LATCHKEY_HOST=127.0.0.1`,
    );
  }
  const token = await devOperatorToken(dataDir);
  return { callers: [{ name: "dev-operator", role: "operator", token_sha256: hashToken(token) }], devToken: token };
}
