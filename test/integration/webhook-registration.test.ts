/**
 * CreateWebhook / DeleteWebhook / RotateWebhookSecret against a GitHub look-alike: Latchkey
 * registers the hook with a secret it generates, GitHub's signed deliveries land in the inbox,
 * deletion deregisters (404 counting as done), and user scoping holds everywhere.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgument, NotFound, Unavailable } from "../../src/domain/errors.js";
import { createLocalKeyring } from "../../src/secrets/local-keyring.js";
import { rowContext, type SecretStore } from "../../src/secrets/secret-store.js";
import { startGithubHooksLookalike, type GithubHooksLookalike } from "../support/github-hooks-lookalike.js";
import { createTestDb, type TestDb } from "../support/postgres.js";
import { startWebhooksInstance, type WebhooksInstance } from "../support/webhooks-instance.js";

let db: TestDb;
let gh: GithubHooksLookalike;
let lk: WebhooksInstance;
/** Set to make the secret store refuse to encrypt (Vault down). */
let storeDown = false;
let keyring: SecretStore;
const CRED = "11111111-1111-4111-8111-111111111111";
const SLACK_CRED = "22222222-2222-4222-8222-222222222222";

beforeAll(async () => {
  db = await createTestDb();
  gh = await startGithubHooksLookalike({ tokens: { "gho_token": ["octo/repo"] } });
  keyring = await createLocalKeyring({ file: path.join(await mkdtemp(path.join(tmpdir(), "lk-wr-")), "keyring.json") });
  const secrets: SecretStore = Object.assign(Object.create(keyring) as SecretStore, {
    encrypt: (plaintext: Buffer, context: string) =>
      storeDown ? Promise.reject(new Unavailable("secret store")) : keyring.encrypt(plaintext, context),
  });
  lk = await startWebhooksInstance({
    sql: db.sql,
    secrets,
    config: { githubApiUrl: gh.url },
    // Stands in for the token service: alice owns one GitHub and one Slack credential.
    getAccessToken: async (userId, credentialId) => {
      if (userId === "alice" && credentialId === CRED) return { accessToken: "gho_token", provider: "github" };
      if (userId === "alice" && credentialId === SLACK_CRED) return { accessToken: "xoxb", provider: "slack" };
      throw new NotFound("credential");
    },
  });
});
afterAll(async () => {
  await lk?.close();
  await gh?.close();
  await db?.drop();
});

const createReq = (over: Record<string, unknown>) =>
  ({ userId: "alice", provider: "github", resource: "octo/repo", events: ["push"], credentialId: CRED, secret: "", ...over }) as never;

describe("webhook registration at the provider", () => {
  it("registers a GitHub repository hook, receives GitHub's signed deliveries, and deregisters on delete", async () => {
    const res = await lk.service.createWebhook(createReq({}), lk.ctx());
    expect(res.signingSecret).toBe(""); // Latchkey configured the secret at GitHub itself
    const w = res.webhook!;
    const hook = gh.hooks.get(Number(w.providerWebhookId))!;
    expect(hook).toMatchObject({ url: w.ingressUrl, repo: "octo/repo", events: ["push"] });
    expect(w.credentialId).toBe(CRED);

    expect((await gh.deliver(hook.id, "push", { ref: "refs/heads/main" })).status).toBe(200);
    const events = await lk.service.listEvents({ userId: "alice", webhookId: w.id, pageSize: 0, pageToken: "" } as never, lk.ctx());
    expect(events.events!.map((e) => e.eventType)).toEqual(["push"]);

    // After a rotation GitHub signs with the new secret, which verifies.
    const before = hook.secret;
    await lk.service.rotateWebhookSecret({ userId: "alice", webhookId: w.id, secret: "", gracePeriodSeconds: 0 } as never, lk.ctx());
    expect(gh.hooks.get(hook.id)!.secret).not.toBe(before);
    expect((await gh.deliver(hook.id, "push", { ref: "refs/heads/dev" })).status).toBe(200);

    const del = await lk.service.deleteWebhook({ userId: "alice", webhookId: w.id } as never, lk.ctx());
    expect(del.deregisteredAtProvider).toBe(true);
    expect(gh.hooks.has(hook.id)).toBe(false);
    await expect(lk.service.getWebhook({ userId: "alice", webhookId: w.id } as never, lk.ctx())).rejects.toBeInstanceOf(NotFound);
  });

  it("counts a hook already removed at GitHub as deregistered", async () => {
    const w = (await lk.service.createWebhook(createReq({}), lk.ctx())).webhook!;
    gh.hooks.delete(Number(w.providerWebhookId));
    const del = await lk.service.deleteWebhook({ userId: "alice", webhookId: w.id } as never, lk.ctx());
    expect(del.deregisteredAtProvider).toBe(true);
  });

  it("refuses another user's credential, another provider's credential, and providers without a registrar", async () => {
    await expect(lk.service.createWebhook(createReq({ userId: "bob" }), lk.ctx())).rejects.toBeInstanceOf(NotFound);
    await expect(lk.service.createWebhook(createReq({ credentialId: SLACK_CRED }), lk.ctx())).rejects.toMatchObject({ field: "credential_id" });
    await expect(lk.service.createWebhook(createReq({ provider: "slack", credentialId: SLACK_CRED }), lk.ctx())).rejects.toMatchObject({ field: "credential_id" });
    await expect(lk.service.createWebhook(createReq({ resource: "no-slash" }), lk.ctx())).rejects.toMatchObject({ field: "resource" });
    await expect(lk.service.createWebhook(createReq({ secret: "given" }), lk.ctx())).rejects.toMatchObject({ field: "secret" });
    expect(gh.hooks.size).toBe(0);
  });

  it("needs the provider-issued secret where Latchkey cannot generate one, and validates it", async () => {
    const slack = (secret: string) => createReq({ provider: "slack", credentialId: "", resource: "", secret });
    await expect(lk.service.createWebhook(slack(""), lk.ctx())).rejects.toMatchObject({ field: "secret" });
    await expect(lk.service.createWebhook(slack("!!"), lk.ctx())).rejects.toBeInstanceOf(InvalidArgument);
    await expect(lk.service.createWebhook(createReq({ provider: "nope", credentialId: "" }), lk.ctx())).rejects.toMatchObject({ field: "provider" });
    const ok = await lk.service.createWebhook(slack("8f742231b10e8888abcd99yyyzzz85a5"), lk.ctx());
    expect(ok.signingSecret).toBe("");
  });

  it("scopes get, list and delete to the owning user", async () => {
    const w = (await lk.service.createWebhook(createReq({ credentialId: "", resource: "" }), lk.ctx())).webhook!;
    await expect(lk.service.getWebhook({ userId: "mallory", webhookId: w.id } as never, lk.ctx())).rejects.toBeInstanceOf(NotFound);
    await expect(lk.service.deleteWebhook({ userId: "mallory", webhookId: w.id } as never, lk.ctx())).rejects.toBeInstanceOf(NotFound);
    expect((await lk.service.listWebhooks({ userId: "mallory", provider: "" } as never, lk.ctx())).webhooks).toEqual([]);
    const mine = await lk.service.listWebhooks({ userId: "alice", provider: "github" } as never, lk.ctx());
    expect(mine.webhooks!.map((x) => x.id)).toContain(w.id);
  });

  describe("rotating the secret of a hook Latchkey registered", () => {
    const rotate = (webhookId: string) =>
      lk.service.rotateWebhookSecret({ userId: "alice", webhookId, secret: "", gracePeriodSeconds: 0 } as never, lk.ctx());
    const registered = async () => {
      const w = (await lk.service.createWebhook(createReq({}), lk.ctx())).webhook!;
      return { w: { id: w.id! }, hook: gh.hooks.get(Number(w.providerWebhookId))! };
    };

    it("verifies deliveries GitHub signs with the new secret as soon as GitHub switched", async () => {
      const { w, hook } = await registered();
      const old = hook.secret;
      gh.onPatched = async (h) => {
        await gh.deliver(h.id, "push", { ref: "refs/heads/in-the-window" });
      };
      try {
        await rotate(w.id);
      } finally {
        gh.onPatched = undefined;
      }
      const inWindow = gh.deliveries.filter((d) => d.hookId === hook.id);
      expect(inWindow).toHaveLength(1);
      expect(inWindow[0]!.signedWith).not.toBe(old);
      expect(inWindow[0]!.status).toBe(200);
      await lk.service.deleteWebhook({ userId: "alice", webhookId: w.id } as never, lk.ctx());
    });

    it("a PATCH GitHub fails answers UNAVAILABLE and GitHub's deliveries keep verifying", async () => {
      const { w, hook } = await registered();
      const old = hook.secret;
      gh.failPatch = 503;
      try {
        await expect(rotate(w.id)).rejects.toBeInstanceOf(Unavailable);
      } finally {
        gh.failPatch = undefined;
      }
      expect(gh.hooks.get(hook.id)!.secret).toBe(old);
      expect((await gh.deliver(hook.id, "push", { ref: "refs/heads/after-failed-rotation" })).status).toBe(200);
      // Rolled back: the old secret is current again, not a previous one that stops verifying when the grace ends.
      const row = await lk.module.manager.get("alice", w.id);
      const current = await keyring.decrypt(row.secretCiphertext, rowContext("webhook", "alice", w.id));
      expect(current.toString("utf8")).toBe(old);
      // A retry once GitHub is back rotates for real.
      await rotate(w.id);
      expect(gh.hooks.get(hook.id)!.secret).not.toBe(old);
      expect((await gh.deliver(hook.id, "push", { ref: "refs/heads/after-retry" })).status).toBe(200);
      await lk.service.deleteWebhook({ userId: "alice", webhookId: w.id } as never, lk.ctx());
    });

    it("a secret store that cannot save the new secret leaves GitHub untouched", async () => {
      const { w, hook } = await registered();
      const old = hook.secret;
      const patches = () => gh.requests.filter((r) => r.method === "PATCH").length;
      const before = patches();
      storeDown = true;
      try {
        await expect(rotate(w.id)).rejects.toBeInstanceOf(Unavailable);
      } finally {
        storeDown = false;
      }
      expect(patches()).toBe(before);
      expect(gh.hooks.get(hook.id)!.secret).toBe(old);
      expect((await gh.deliver(hook.id, "push", { ref: "refs/heads/store-was-down" })).status).toBe(200);
      await lk.service.deleteWebhook({ userId: "alice", webhookId: w.id } as never, lk.ctx());
    });
  });
});
