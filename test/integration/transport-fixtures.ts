/**
 * Shared fixtures for the transport tests: test implementations of the real generated
 * CredentialsService and WebhooksService descriptors (the transport is what is under test, so the
 * services are small and scripted), callers for every role, a log capture, and a generic grpc-js
 * client built from a descriptor.
 */
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { create, fromBinary, toBinary, type DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { bind, type ServiceBinding, type ServiceImplementation } from "../../src/api/types.js";
import { createAuthenticator, hashToken, type CallerConfig } from "../../src/auth/callers.js";
import { InvalidArgument, NeedsReauth, NotFound, Unavailable } from "../../src/domain/errors.js";
import { CredentialsService } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { WebhooksService } from "../../src/gen/latchkey/v1/webhooks_pb.js";
import { createLogger, type Logger } from "../../src/observability/logger.js";

export const TOKENS = {
  operator: "op-token-0123456789",
  executor: "exec-token-0123456789",
  backend: "backend-token-0123456789",
  consumer: "consumer-token-0123456789",
} as const;

export const CALLERS: CallerConfig[] = Object.entries(TOKENS).map(([role, token]) => ({
  name: `${role}-svc`,
  role: role as CallerConfig["role"],
  token_sha256: hashToken(token),
}));

export const authenticator = createAuthenticator(CALLERS);

export const SECRET_ACCESS_TOKEN = "ya29.super-secret-access-token";

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

export interface LogCapture {
  logger: Logger;
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
}

export function captureLogs(level = "debug"): LogCapture {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level, destination });
  const text = () => chunks.join("");
  return {
    logger,
    text,
    lines: () =>
      text()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A grpc-js client for any protobuf-es service descriptor; methods keyed by localName. */
export function grpcClient(service: DescService, address: string, creds = grpc.credentials.createInsecure(), options?: grpc.ClientOptions) {
  const def: grpc.ServiceDefinition = {};
  for (const m of service.methods) {
    (def as Record<string, grpc.MethodDefinition<unknown, unknown>>)[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: m.methodKind === "server_streaming",
      requestSerialize: (msg: unknown) => Buffer.from(toBinary(m.input, create(m.input, msg as never))),
      requestDeserialize: (b: Buffer) => fromBinary(m.input, b),
      responseSerialize: (msg: unknown) => Buffer.from(toBinary(m.output, create(m.output, msg as never))),
      responseDeserialize: (b: Buffer) => fromBinary(m.output, b),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(def, service.name);
  return new Ctor(address, creds, options) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
}

export function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

/** Calls a unary method; resolves with { err, res, trailers }. */
export function unary(
  client: grpc.Client & Record<string, (...args: unknown[]) => unknown>,
  method: string,
  req: object,
  md = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<{ err: grpc.ServiceError | null; res: any; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = client[method]!(req, md, options, (err: grpc.ServiceError | null, res: unknown) => {
      setImmediate(() => resolve({ err, res, trailers: trailers ?? err?.metadata }));
    }) as grpc.ClientUnaryCall;
    call.on("status", (s: grpc.StatusObject) => (trailers = s.metadata));
  });
}
