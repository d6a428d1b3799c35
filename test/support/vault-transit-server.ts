/**
 * A Vault look-alike for tests: a real HTTP server on 127.0.0.1 (random port) speaking the part of
 * Vault's HTTP API Latchkey uses — transit keys/encrypt/decrypt/rewrap, AppRole login, token
 * lookup/renewal, sys/health — with real AES-256-GCM and derived keys (test/support/vault/).
 * Tests drive key rotation, min_decryption_version, sealing and latency from outside.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildRoutes, type Reply } from "./vault/routes.js";
import { Tokens, type AppRoleOptions } from "./vault/tokens.js";
import { TransitKeys, UserError, type TransitKey } from "./vault/transit-keys.js";

export type { AppRoleOptions };

export interface TransitServerOptions {
  /** The root token (random when omitted). */
  token?: string;
  /** Enables AppRole login with these credentials. */
  approle?: AppRoleOptions;
  /** Default "transit". */
  transitMount?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  namespace: string | undefined;
  status: number;
}

export interface TransitServer {
  addr: string;
  rootToken: string;
  keys: TransitKeys;
  tokens: Tokens;
  /** Every request answered, in order (no bodies: they may hold plaintext). */
  requests: RecordedRequest[];
  createKey(name: string, opts?: { derived?: boolean }): TransitKey;
  readKey(name: string): TransitKey | undefined;
  /** Adds a key version; returns the new latest version. */
  rotate(name: string): number;
  setMinDecryptionVersion(name: string, version: number): void;
  seal(): void;
  unseal(): void;
  /** Answers 403 on this path (relative to /v1/) even with a valid token: a policy that lacks it. */
  deny(path: string): void;
  /** Delays every answer (to exercise client timeouts). */
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

const MAX_BODY = 32 * 1024 * 1024; // Vault's default max_request_size

export async function startTransitServer(opts: TransitServerOptions = {}): Promise<TransitServer> {
  const keys = new TransitKeys();
  const tokens = new Tokens(opts.approle, opts.token);
  const requests: RecordedRequest[] = [];
  let sealed = false;
  let latency = 0;
  const denied = new Set<string>();
  const routes = buildRoutes({
    transitMount: opts.transitMount ?? "transit",
    approleMount: opts.approle?.mount ?? "approle",
    keys,
    tokens,
    isSealed: () => sealed,
  });

  async function answer(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://vault");
    if (!url.pathname.startsWith("/v1/")) return { status: 404, body: { errors: [] } };
    const path = url.pathname.slice("/v1/".length);
    const method = req.method === "GET" ? "read" : req.method === "POST" || req.method === "PUT" ? "write" : undefined;
    const route = routes.find((r) => r.method === method && r.pattern.test(path));
    if (sealed && path !== "sys/health") return { status: 503, body: { errors: ["Vault is sealed"] } };
    if (!route) return { status: 404, body: { errors: [`no handler for route "${path}". route entry not found.`] } };
    const token = tokens.check(header(req, "x-vault-token"));
    if ((route.authenticated && !token) || denied.has(path)) return { status: 403, body: { errors: ["permission denied"] } };
    let body: Record<string, unknown> = {};
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch {
      return { status: 413, body: { errors: ["http: request body too large"] } };
    }
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      } catch (err) {
        return { status: 400, body: { errors: [`failed to parse JSON input: ${(err as Error).message}`] } };
      }
    }
    try {
      return route.handle({ params: route.pattern.exec(path)!.slice(1), body, token });
    } catch (err) {
      if (err instanceof UserError) return { status: 400, body: { errors: [err.message] } };
      return { status: 500, body: { errors: ["1 error occurred:\n\t* internal error\n\n"] } };
    }
  }

  const server = createServer((req, res) => {
    void answer(req)
      .catch((): Reply => ({ status: 500, body: { errors: ["internal error"] } }))
      .then(async (reply) => {
        if (latency > 0) await new Promise((r) => setTimeout(r, latency));
        const status = reply.status ?? 200;
        requests.push({
          method: req.method ?? "",
          path: new URL(req.url ?? "/", "http://vault").pathname,
          namespace: header(req, "x-vault-namespace"),
          status,
        });
        send(res, status, reply.body);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const mustKey = (name: string): TransitKey => {
    const key = keys.get(name);
    if (!key) throw new Error(`test vault: no key ${name}`);
    return key;
  };

  return {
    addr: `http://127.0.0.1:${port}`,
    rootToken: tokens.rootToken,
    keys,
    tokens,
    requests,
    createKey: (name, o) => keys.create(name, { derived: o?.derived ?? true }),
    readKey: (name) => keys.get(name),
    rotate: (name) => keys.rotate(mustKey(name).name).latestVersion,
    setMinDecryptionVersion: (name, version) => {
      keys.configure(mustKey(name).name, { min_decryption_version: version });
    },
    seal: () => {
      sealed = true;
    },
    unseal: () => {
      sealed = false;
    },
    deny: (path) => {
      denied.add(path);
    },
    setLatency: (ms) => {
      latency = ms;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new UserError("request too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  if (body === undefined) {
    res.writeHead(204).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
