/** Every registrar by the name provider data uses (`webhook: { registrar: "github-repo" }`). */
import { createGithubRepoRegistrar } from "./github-repo.js";
import type { WebhookRegistrar } from "./types.js";

export type { HookTarget, RegisterHookInput, WebhookRegistrar } from "./types.js";

export interface WebhookRegistrarsOptions {
  fetch?: typeof fetch;
  githubApiUrl?: string;
  timeoutMs?: number;
}

export function createWebhookRegistrars(opts: WebhookRegistrarsOptions = {}): ReadonlyMap<string, WebhookRegistrar> {
  const github = createGithubRepoRegistrar({
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.githubApiUrl ? { apiUrl: opts.githubApiUrl } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return new Map([[github.name, github]]);
}
