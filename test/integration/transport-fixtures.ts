/**
 * Fixtures for the transport tests: test implementations of the real generated
 * CredentialsService and WebhooksService descriptors (the transport is what is under test, so the
 * services are small and scripted), and an authenticator for the shared test callers.
 * Generic helpers live in test/support (grpc-client.ts, logs.ts, callers.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { bind, type ServiceBinding, type ServiceImplementation } from "../../src/api/types.js";
import { createAuthenticator } from "../../src/auth/callers.js";
import { InvalidArgument, NeedsReauth, NotFound, Unavailable } from "../../src/domain/errors.js";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { WebhooksService } from "../../src/gen/latchkey/v1/webhooks_pb.js";
import { CALLERS } from "../support/callers.js";

export const authenticator = createAuthenticator(CALLERS);

export const SECRET_ACCESS_TOKEN = "ya29.super-secret-access-token";

/** What late-reading handlers saw when they first looked at ctx.signal: "<credentialId>:<aborted>". */
export const lateSignals: string[] = [];

/** Two distinct frozen answers: the gRPC transport reuses a frozen response's encoding per object. */
const FROZEN = {
  "frozen-a": Object.freeze({ accessToken: "token-a", tokenType: "Bearer", credentialId: "frozen-a", provider: "github" }),
  "frozen-b": Object.freeze({ accessToken: "token-b", tokenType: "Bearer", credentialId: "frozen-b", provider: "github" }),
} as const;

/** Scripted behaviour keyed by user_id, so one implementation covers every error path. */
export const credentialsImpl: ServiceImplementation<typeof CredentialsService> = {
  async listProviders(req) {
    return { providers: [{ name: "github", displayName: "GitHub", category: req.category || "dev", authTypes: ["oauth2"] }] };
  },
  async createApiKeyCredential() {
    throw new Error("boom: database password=hunter2 leaked in a foreign error");
  },
  async getCredential(req, ctx) {
    if (req.userId === "") throw new InvalidArgument("user_id", "must be 1..256 characters");
    if (req.credentialId === "missing") throw new NotFound("credential");
    if (req.credentialId === "vault-down") throw new Unavailable("vault", { cause: new Error("ECONNREFUSED") });
    if (req.credentialId === "slow") {
      await sleep(300, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
    if (req.credentialId.startsWith("late-signal")) {
      // Reads the signal only after a while: an abort or cancel before then must still show.
      await sleep(150);
      lateSignals.push(`${req.credentialId}:${ctx.signal.aborted}`);
      if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      return { credential: { id: req.credentialId, userId: req.userId } };
    }
    if (req.credentialId === "wait-abort") {
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      return { credential: { id: "aborted", userId: req.userId } };
    }
    ctx.log.debug({ credential_id: req.credentialId }, "handler ran");
    return { credential: { id: req.credentialId, userId: req.userId, provider: "github", title: `caller=${ctx.caller.name} rid=${ctx.requestId}` } };
  },
  async listCredentials() {
    return { credentials: [], nextPageToken: "" };
  },
  async updateCredential(req) {
    return { credential: { id: req.credentialId } };
  },
  async deleteCredential() {
    return { revokedAtProvider: false };
  },
  async getAccessToken(req) {
    if (req.credentialId in FROZEN) return FROZEN[req.credentialId as keyof typeof FROZEN];
    return { accessToken: SECRET_ACCESS_TOKEN, tokenType: "Bearer", credentialId: req.credentialId, provider: "github" };
  },
  async refreshCredential(req) {
    throw new NeedsReauth(req.credentialId);
  },
};

/** Only the streaming pair: the other methods are left out on purpose (they answer UNIMPLEMENTED). */
export const webhooksImpl = {
  async *streamEvents(req: { consumer: string }, ctx: { signal: AbortSignal }) {
    if (req.consumer === "fail") throw new NotFound("consumer");
    for (let i = 0; !ctx.signal.aborted; i++) {
      yield { id: `evt-${i}`, eventType: "push", payload: new Uint8Array([i]) };
      if (req.consumer === "finite" && i === 2) return;
      await sleep(20);
    }
  },
  async ackEvents() {
    return {};
  },
} as unknown as ServiceImplementation<typeof WebhooksService>;

export function bindings(): ServiceBinding[] {
  return [bind(CredentialsService, credentialsImpl), bind(WebhooksService, webhooksImpl)];
}
