/**
 * A GitHub look-alike for repository webhooks, following the REST docs
 * (https://docs.github.com/rest/repos/webhooks): bearer-token auth, 404 for repositories the
 * token cannot see, 422 for a duplicate URL, the secret never echoed back. `deliver` sends a
 * delivery the way GitHub does (X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256), and
 * creation sends the `ping` event, as GitHub does.
 */
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface LookalikeHook {
  id: number;
  repo: string;
  events: string[];
  active: boolean;
  url: string;
  secret: string;
  contentType: string;
}

export interface GithubHooksLookalike {
  url: string;
  hooks: Map<number, LookalikeHook>;
  /** Every request seen: method, path and authorization, for assertions. */
  requests: { method: string; path: string; authorization?: string }[];
  /** Every delivery sent: the hook, the event, the secret it was signed with and the receiver's status. */
  deliveries: { hookId: number; event: string; signedWith: string; status: number }[];
  /** When set, `PATCH …/config` answers this status and leaves the hook unchanged (a provider outage or refusal). */
  failPatch: number | undefined;
  /**
   * When set, runs after `PATCH …/config` took effect and before GitHub answers: GitHub starts
   * signing with the new secret at once, so deliveries sent here model the ones in that window.
   */
  onPatched: ((hook: LookalikeHook) => Promise<void>) | undefined;
  /** Sends a signed delivery to the hook's URL, as GitHub would. */
  deliver(hookId: number, event: string, payload: unknown): Promise<Response>;
  close(): Promise<void>;
}

export interface GithubHooksLookalikeOptions {
  /** Token → repositories it administers. */
  tokens: Record<string, string[]>;
  /** Send the ping event on creation (default false: tests start the ingress after creation sometimes). */
  pingOnCreate?: boolean;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

function view(h: LookalikeHook, base: string) {
  return {
    type: "Repository",
    id: h.id,
    name: "web",
    active: h.active,
    events: h.events,
    config: { url: h.url, content_type: h.contentType, insecure_ssl: "0", secret: "********" },
    url: `${base}/repos/${h.repo}/hooks/${h.id}`,
    ping_url: `${base}/repos/${h.repo}/hooks/${h.id}/pings`,
  };
}

export async function startGithubHooksLookalike(opts: GithubHooksLookalikeOptions): Promise<GithubHooksLookalike> {
  const hooks = new Map<number, LookalikeHook>();
  const requests: GithubHooksLookalike["requests"] = [];
  const deliveries: GithubHooksLookalike["deliveries"] = [];
  const state: Pick<GithubHooksLookalike, "failPatch" | "onPatched"> = { failPatch: undefined, onPatched: undefined };
  let nextId = 1000;
  let base = "";

  async function deliver(hookId: number, event: string, payload: unknown): Promise<Response> {
    const hook = hooks.get(hookId);
    if (!hook) throw new Error(`no hook ${hookId}`);
    const body = JSON.stringify(payload);
    const signedWith = hook.secret;
    const res = await fetch(hook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/lookalike",
        "x-github-event": event,
        "x-github-delivery": randomUUID(),
        "x-github-hook-id": String(hook.id),
        "x-hub-signature-256": "sha256=" + createHmac("sha256", signedWith).update(body).digest("hex"),
      },
      body,
    });
    deliveries.push({ hookId, event, signedWith, status: res.status });
    return res;
  }

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      requests.push({ method: req.method ?? "", path, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const repos = token ? opts.tokens[token] : undefined;
      if (!repos) return send(res, 401, { message: "Bad credentials" });
      const m = /^\/repos\/([^/]+\/[^/]+)\/hooks(?:\/(\d+)(\/pings|\/config)?)?$/.exec(path);
      if (!m || !repos.includes(decodeURIComponent(m[1]!))) return send(res, 404, { message: "Not Found" });
      const repo = decodeURIComponent(m[1]!);
      const id = m[2] ? Number(m[2]) : undefined;
      const hook = id !== undefined ? hooks.get(id) : undefined;
      if (id !== undefined && (!hook || hook.repo !== repo)) return send(res, 404, { message: "Not Found" });

      if (req.method === "POST" && id === undefined) {
        const body = (await readJson(req)) as { name?: string; events?: string[]; config?: Record<string, string> } | undefined;
        const url = body?.config?.url;
        if (!url) return send(res, 422, { message: "Validation Failed", errors: [{ field: "url", code: "missing_field" }] });
        if ([...hooks.values()].some((h) => h.repo === repo && h.url === url)) {
          return send(res, 422, { message: "Validation Failed", errors: [{ message: "Hook already exists on this repository" }] });
        }
        const created: LookalikeHook = {
          id: nextId++,
          repo,
          events: body?.events ?? ["push"],
          active: true,
          url,
          secret: body?.config?.secret ?? "",
          contentType: body?.config?.content_type ?? "form",
        };
        hooks.set(created.id, created);
        send(res, 201, view(created, base));
        if (opts.pingOnCreate) void deliver(created.id, "ping", { zen: "Design for failure.", hook_id: created.id }).catch(() => {});
        return;
      }
      if (req.method === "GET" && id === undefined) return send(res, 200, [...hooks.values()].filter((h) => h.repo === repo).map((h) => view(h, base)));
      if (req.method === "GET" && hook && !m[3]) return send(res, 200, view(hook, base));
      if (req.method === "POST" && hook && m[3] === "/pings") {
        void deliver(hook.id, "ping", { zen: "Keep it logically awesome.", hook_id: hook.id }).catch(() => {});
        return send(res, 204);
      }
      if (req.method === "PATCH" && hook && m[3] === "/config") {
        const body = (await readJson(req)) as Record<string, string> | undefined;
        if (state.failPatch !== undefined) return send(res, state.failPatch, { message: "lookalike: PATCH refused" });
        if (body?.secret !== undefined) hook.secret = body.secret;
        if (body?.url) hook.url = body.url;
        await state.onPatched?.(hook);
        return send(res, 200, { url: hook.url, content_type: hook.contentType, insecure_ssl: "0", secret: "********" });
      }
      if (req.method === "DELETE" && hook && !m[3]) {
        hooks.delete(hook.id);
        return send(res, 204);
      }
      return send(res, 404, { message: "Not Found" });
    })().catch(() => send(res, 500, { message: "lookalike error" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    hooks,
    requests,
    deliveries,
    get failPatch() {
      return state.failPatch;
    },
    set failPatch(v) {
      state.failPatch = v;
    },
    get onPatched() {
      return state.onPatched;
    },
    set onPatched(v) {
      state.onPatched = v;
    },
    deliver,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
