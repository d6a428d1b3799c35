/**
 * GitHub repository webhooks through the REST API:
 *   POST   /repos/{owner}/{repo}/hooks                 create (201, returns the hook id)
 *   POST   /repos/{owner}/{repo}/hooks/{id}/pings      ping (204)
 *   PATCH  /repos/{owner}/{repo}/hooks/{id}/config     new secret (200)
 *   DELETE /repos/{owner}/{repo}/hooks/{id}            delete (204; 404 means already gone)
 * https://docs.github.com/rest/repos/webhooks
 */
import { AlreadyExists, FailedPrecondition, InvalidArgument, PermissionDenied, Unavailable } from "../../domain/errors.js";
import type { HookTarget, RegisterHookInput, WebhookRegistrar } from "./types.js";

export interface GithubRepoRegistrarOptions {
  fetch?: typeof fetch;
  /** Default https://api.github.com; GitHub Enterprise uses https://HOST/api/v3. */
  apiUrl?: string;
  timeoutMs?: number;
}

const REPO = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
const PROVIDER = "github";

export function createGithubRepoRegistrar(opts: GithubRepoRegistrarOptions = {}): WebhookRegistrar {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const base = (opts.apiUrl ?? "https://api.github.com").replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;

  async function call(method: string, path: string, token: string, body?: unknown): Promise<Response> {
    try {
      return await fetchFn(base + path, {
        method,
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${token}`,
          "x-github-api-version": "2022-11-28",
          "user-agent": "latchkey",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "error",
      });
    } catch (err) {
      throw new Unavailable(PROVIDER, { cause: err });
    }
  }

  function repoPath(resource: string): string {
    if (!REPO.test(resource)) throw new InvalidArgument("resource", "must be owner/repo");
    const [owner, repo] = resource.split("/") as [string, string];
    return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/hooks`;
  }

  /** Maps a refusal to a domain error; the response body is never echoed (it may quote our request). */
  async function refuse(res: Response, action: string): Promise<never> {
    await res.body?.cancel().catch(() => {});
    if (res.status === 401) throw new FailedPrecondition(`github refused the credential's token while trying to ${action}`);
    if (res.status === 403) throw new PermissionDenied(`the credential may not ${action} (needs admin:repo_hook)`);
    if (res.status === 404) throw new FailedPrecondition(`repository not found, or the credential may not ${action}`);
    if (res.status === 422) throw new AlreadyExists(`github refused to ${action}: a hook with this URL may already exist`);
    throw new Unavailable(PROVIDER, { detail: `HTTP ${res.status} while trying to ${action}` });
  }

  return {
    name: "github-repo",
    checkResource: (resource) => (REPO.test(resource) ? undefined : "must be owner/repo"),

    async register({ accessToken, resource, url, secret, events }: RegisterHookInput) {
      const res = await call("POST", repoPath(resource), accessToken, {
        name: "web",
        active: true,
        events: events.length > 0 ? events : ["push"],
        config: { url, content_type: "json", secret, insecure_ssl: "0" },
      });
      if (res.status !== 201) return refuse(res, "create a repository webhook");
      const hook = (await res.json().catch(() => undefined)) as { id?: unknown } | undefined;
      if (typeof hook?.id !== "number" && typeof hook?.id !== "string") {
        throw new Unavailable(PROVIDER, { detail: "hook created without an id in the answer" });
      }
      return { providerWebhookId: String(hook.id) };
    },

    async ping({ accessToken, resource, providerWebhookId }: HookTarget & { providerWebhookId: string }) {
      const res = await call("POST", `${repoPath(resource)}/${encodeURIComponent(providerWebhookId)}/pings`, accessToken);
      if (res.status !== 204) return refuse(res, "ping the repository webhook");
    },

    async updateSecret({ accessToken, resource, providerWebhookId, url, secret }) {
      const path = `${repoPath(resource)}/${encodeURIComponent(providerWebhookId)}/config`;
      const res = await call("PATCH", path, accessToken, { url, content_type: "json", secret, insecure_ssl: "0" });
      if (res.status !== 200) return refuse(res, "update the repository webhook");
      await res.body?.cancel().catch(() => {});
    },

    async deregister({ accessToken, resource, providerWebhookId }) {
      const res = await call("DELETE", `${repoPath(resource)}/${encodeURIComponent(providerWebhookId)}`, accessToken);
      await res.body?.cancel().catch(() => {});
      if (res.status === 204 || res.status === 404) return true;
      return refuse(res, "delete the repository webhook");
    },
  };
}
