/**
 * A tiny HTTP server on 127.0.0.1:0 for provider look-alikes: each look-alike registers handlers
 * that answer as the provider's docs say. Every request is recorded so tests can check what
 * Latchkey sent (auth method, body format, PKCE verifier, refresh tokens).
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ProviderDefinitionInput } from "../../../src/providers/schema.js";

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  form: URLSearchParams;
  json: Record<string, unknown> | undefined;
  /** Decoded HTTP basic credentials, when sent. */
  basic?: { id: string; secret: string };
}

export interface Answer {
  status?: number;
  /** Objects are sent as JSON; strings as given with `contentType`. */
  body?: unknown;
  contentType?: string;
  /** Never answer (to exercise timeouts). */
  hang?: boolean;
}

export type Handler = (req: SeenRequest) => Answer | Promise<Answer>;

export interface Lookalike {
  base: string;
  requests: SeenRequest[];
  on(route: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startLookalike(): Promise<Lookalike> {
  const handlers = new Map<string, Handler>();
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const body = Buffer.concat(chunks).toString("utf8");
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      const seen: SeenRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, body, form: new URLSearchParams(body), json };
      const auth = req.headers.authorization;
      if (auth?.startsWith("Basic ")) {
        const [id, secret] = Buffer.from(auth.slice(6), "base64").toString().split(":");
        seen.basic = { id: decodeURIComponent(id!), secret: decodeURIComponent(secret ?? "") };
      }
      requests.push(seen);
      const handler = handlers.get(`${seen.method} ${seen.path}`);
      void Promise.resolve(handler ? handler(seen) : { status: 404, body: { error: "not_found" } }).then((a) => {
        if (a.hang) return;
        const text = typeof a.body === "string" ? a.body : JSON.stringify(a.body ?? {});
        res.writeHead(a.status ?? 200, { "content-type": a.contentType ?? (typeof a.body === "string" ? "text/plain" : "application/json") });
        res.end(text);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    on: (route, handler) => handlers.set(route, handler),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Rewrites a catalogue definition's real endpoints to the look-alike (same paths, local host). */
export function pointAt(def: ProviderDefinitionInput, base: string): ProviderDefinitionInput {
  return JSON.parse(JSON.stringify(def).replace(/https:\/\/[a-z0-9.-]+/g, base)) as ProviderDefinitionInput;
}

/** Issues authorization codes the way a provider's authorize endpoint would, remembering the PKCE challenge. */
export class CodeBook {
  private readonly codes = new Map<string, { challenge: string | null; redirectUri: string; scope: string | null }>();
  authorize(authorizationUrl: string): { code: string; state: string; params: URLSearchParams } {
    const params = new URL(authorizationUrl).searchParams;
    const code = randomBytes(12).toString("hex");
    this.codes.set(code, { challenge: params.get("code_challenge"), redirectUri: params.get("redirect_uri")!, scope: params.get("scope") });
    return { code, state: params.get("state")!, params };
  }
  /** Checks a code (single use) and its PKCE verifier. */
  redeem(code: string | null | undefined, verifier: string | null | undefined): boolean {
    const entry = code ? this.codes.get(code) : undefined;
    if (!entry) return false;
    this.codes.delete(code!);
    if (entry.challenge === null) return true;
    return !!verifier && createHash("sha256").update(verifier).digest("base64url") === entry.challenge;
  }
}

export const token = (prefix: string) => `${prefix}${randomBytes(10).toString("hex")}`;
