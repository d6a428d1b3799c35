import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGithubHooksLookalike, type GithubHooksLookalike } from "../../../test/support/github-hooks-lookalike.js";
import { AlreadyExists, FailedPrecondition, InvalidArgument, Unavailable } from "../../domain/errors.js";
import { createGithubRepoRegistrar } from "./github-repo.js";

let gh: GithubHooksLookalike;
beforeAll(async () => {
  gh = await startGithubHooksLookalike({ tokens: { "tok-admin": ["octo/repo"] } });
});
afterAll(() => gh.close());

const target = { accessToken: "tok-admin", resource: "octo/repo" };

describe("github-repo registrar", () => {
  it("creates a hook with Latchkey's URL and secret, pings it and deletes it", async () => {
    const reg = createGithubRepoRegistrar({ apiUrl: gh.url });
    const { providerWebhookId } = await reg.register({ ...target, url: "https://lk.example/webhooks/github/1", secret: "s1", events: ["push", "issues"] });
    const hook = gh.hooks.get(Number(providerWebhookId))!;
    expect(hook).toMatchObject({ repo: "octo/repo", url: "https://lk.example/webhooks/github/1", secret: "s1", events: ["push", "issues"], contentType: "json" });
    expect(gh.requests.at(-1)).toMatchObject({ method: "POST", path: "/repos/octo/repo/hooks", authorization: "Bearer tok-admin" });

    await reg.updateSecret({ ...target, providerWebhookId, url: hook.url, secret: "s2" });
    expect(gh.hooks.get(Number(providerWebhookId))!.secret).toBe("s2");
    await reg.ping({ ...target, providerWebhookId });
    expect(gh.requests.at(-1)).toMatchObject({ method: "POST", path: `/repos/octo/repo/hooks/${providerWebhookId}/pings` });

    expect(await reg.deregister({ ...target, providerWebhookId })).toBe(true);
    expect(gh.hooks.has(Number(providerWebhookId))).toBe(false);
  });

  it("counts a 404 on delete as done", async () => {
    const reg = createGithubRepoRegistrar({ apiUrl: gh.url });
    expect(await reg.deregister({ ...target, providerWebhookId: "424242" })).toBe(true);
  });

  it("maps GitHub's refusals to domain errors", async () => {
    const reg = createGithubRepoRegistrar({ apiUrl: gh.url });
    const input = { url: "https://lk.example/webhooks/github/2", secret: "s", events: [] };
    await expect(reg.register({ ...target, resource: "octo/other", ...input })).rejects.toBeInstanceOf(FailedPrecondition);
    await expect(reg.register({ ...target, accessToken: "bad", ...input })).rejects.toBeInstanceOf(FailedPrecondition);
    await reg.register({ ...target, ...input });
    await expect(reg.register({ ...target, ...input })).rejects.toBeInstanceOf(AlreadyExists);
    await expect(reg.register({ ...target, resource: "not a repo", ...input })).rejects.toBeInstanceOf(InvalidArgument);
  });

  it("answers Unavailable when GitHub cannot be reached, without the token in the error", async () => {
    const reg = createGithubRepoRegistrar({ apiUrl: "http://127.0.0.1:1" });
    const err = await reg.register({ ...target, url: "https://x", secret: "s", events: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unavailable);
    expect(String((err as Error).message)).not.toContain("tok-admin");
  });

  it("times out a hanging GitHub as Unavailable", async () => {
    const hanging: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
    const reg = createGithubRepoRegistrar({ apiUrl: gh.url, fetch: hanging, timeoutMs: 50 });
    await expect(reg.ping({ ...target, providerWebhookId: "1" })).rejects.toBeInstanceOf(Unavailable);
  });
});
