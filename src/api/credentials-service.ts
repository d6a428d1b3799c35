/**
 * latchkey.v1.CredentialsService: validates requests, calls the domain, maps rows to proto.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CredentialsService,
  GetAccessTokenResponseSchema,
  type GetAccessTokenResponse,
  type ProviderSchema,
} from "../gen/latchkey/v1/credentials_pb.js";
import type { CredentialManager } from "../domain/credentials/credential-manager.js";
import { InvalidArgument } from "../domain/errors.js";
import type { IssuedToken, TokenService } from "../domain/tokens/token-service.js";
import type { ProviderRegistry, ProviderSummary } from "../providers/types.js";
import { toProtoCredential } from "./credential-mapper.js";
import type { ServiceImplementation } from "./types.js";
import {
  decodePageToken,
  encodePageToken,
  maxLength,
  pageSize,
  requireString,
  requireUserId,
  requireUuid,
  validateMetadata,
} from "./validate.js";

export interface CredentialsServiceDeps {
  providers: ProviderRegistry;
  credentials: CredentialManager;
  tokens: TokenService;
}

const DEFAULT_MIN_VALID_SECONDS = 60;
/** A token must stay valid for at most a day from now: anything longer cannot be promised. */
const MAX_MIN_VALID_SECONDS = 86_400;
const MAX_API_KEY_BYTES = 8192;
const UPDATABLE = new Set(["title", "metadata"]);

function toProtoProvider(p: ProviderSummary): MessageInitShape<typeof ProviderSchema> {
  return {
    name: p.name,
    displayName: p.displayName,
    category: p.category,
    authTypes: p.authTypes,
    defaultScopes: p.defaultScopes,
    supportsRefresh: p.supportsRefresh,
    supportsRevoke: p.supportsRevoke,
    supportsWebhooks: p.supportsWebhooks,
    configured: p.configured,
    webhookScheme: p.webhookScheme ?? "",
    custom: p.custom,
  };
}

/**
 * The response for an issued token, built once per IssuedToken (which is one object per cached
 * credential version) and frozen, so the gRPC transport encodes it once too. Entries go with
 * their token: a WeakMap keeps nothing alive that the token cache has dropped.
 */
const responses = new WeakMap<IssuedToken, GetAccessTokenResponse>();

function tokenResponse(t: IssuedToken): GetAccessTokenResponse {
  let res = responses.get(t);
  if (!res) {
    res = Object.freeze(
      create(GetAccessTokenResponseSchema, {
        accessToken: t.accessToken,
        tokenType: t.tokenType,
        scopes: [...t.scopes],
        provider: t.provider,
        credentialId: t.credentialId,
        ...(t.expiresAt ? { expiresAt: timestampFromDate(t.expiresAt) } : {}),
      }),
    );
    responses.set(t, res);
  }
  return res;
}

export function createCredentialsService(deps: CredentialsServiceDeps): ServiceImplementation<typeof CredentialsService> {
  const { credentials, tokens } = deps;
  return {
    async listProviders(req) {
      const providers = deps.providers
        .list()
        .filter((p) => !req.category || p.category === req.category)
        .filter((p) => !req.authType || p.authTypes.includes(req.authType as never));
      return { providers: providers.map(toProtoProvider) };
    },

    async createApiKeyCredential(req) {
      const userId = requireUserId(req.userId);
      requireString(req.provider, "provider", 64);
      if (req.apiKey.trim().length === 0) throw new InvalidArgument("api_key", "is required");
      if (Buffer.byteLength(req.apiKey) > MAX_API_KEY_BYTES) {
        throw new InvalidArgument("api_key", `must be at most ${MAX_API_KEY_BYTES} bytes`);
      }
      const row = await credentials.createApiKey({
        userId,
        provider: req.provider,
        apiKey: req.apiKey,
        title: maxLength(req.title, "title", 256),
        metadata: validateMetadata(req.metadata),
      });
      return { credential: toProtoCredential(row) };
    },

    async getCredential(req) {
      const row = await credentials.get(requireUserId(req.userId), requireUuid(req.credentialId, "credential_id"));
      return { credential: toProtoCredential(row) };
    },

    async listCredentials(req) {
      const userId = requireUserId(req.userId);
      const limit = pageSize(req.pageSize);
      const cursor = decodePageToken<{ c: string; i: string }>(req.pageToken, { c: "string", i: "string" });
      const after = cursor && { createdAt: new Date(cursor.c), id: requireUuid(cursor.i, "page_token") };
      if (after && Number.isNaN(after.createdAt.getTime())) throw new InvalidArgument("page_token", "is not a token this service issued");
      const rows = await credentials.list({
        userId,
        limit: limit + 1,
        ...(req.provider ? { provider: maxLength(req.provider, "provider", 64) } : {}),
        ...(after ? { after } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        credentials: page.map(toProtoCredential),
        nextPageToken: rows.length > limit && last ? encodePageToken({ c: last.createdAt.toISOString(), i: last.id }) : "",
      };
    },

    async updateCredential(req) {
      const userId = requireUserId(req.userId);
      const id = requireUuid(req.credentialId, "credential_id");
      const paths = req.updateMask?.paths.length ? req.updateMask.paths : [...UPDATABLE];
      for (const p of paths) if (!UPDATABLE.has(p)) throw new InvalidArgument("update_mask", `cannot update "${p}"`);
      const row = await credentials.update(userId, id, {
        ...(paths.includes("title") ? { title: maxLength(req.title, "title", 256) } : {}),
        ...(paths.includes("metadata") ? { metadata: validateMetadata(req.metadata) } : {}),
      });
      return { credential: toProtoCredential(row) };
    },

    async deleteCredential(req) {
      const { revokedAtProvider } = await credentials.delete(
        requireUserId(req.userId),
        requireUuid(req.credentialId, "credential_id"),
      );
      return { revokedAtProvider };
    },

    async getAccessToken(req, ctx) {
      const userId = requireUserId(req.userId);
      const id = requireUuid(req.credentialId, "credential_id");
      const minValid = req.minValidSeconds ?? DEFAULT_MIN_VALID_SECONDS;
      if (minValid < 0 || minValid > MAX_MIN_VALID_SECONDS) {
        throw new InvalidArgument("min_valid_seconds", `must be between 0 and ${MAX_MIN_VALID_SECONDS}`);
      }
      return tokenResponse(await tokens.getAccessToken(ctx.caller.name, userId, id, minValid));
    },

    async refreshCredential(req) {
      const row = await tokens.refresh(requireUserId(req.userId), requireUuid(req.credentialId, "credential_id"));
      return { credential: toProtoCredential(row) };
    },
  };
}
