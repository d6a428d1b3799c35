/**
 * latchkey.v1.OAuthService: validates requests, runs the authorization flow, maps to proto.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuthorizationStatus, OAuthService } from "../gen/latchkey/v1/oauth_pb.js";
import type { AuthorizationFlow, AuthorizationStatus as FlowStatus } from "../domain/oauth/authorization-flow.js";
import { InvalidArgument } from "../domain/errors.js";
import { toProtoCredential } from "./credential-mapper.js";
import type { ServiceImplementation } from "./types.js";
import { maxLength, optionalUuid, requireString, requireUserId } from "./validate.js";

export interface OAuthServiceDeps {
  flow: AuthorizationFlow;
}

const STATUS: Record<FlowStatus, AuthorizationStatus> = {
  pending: AuthorizationStatus.PENDING,
  completed: AuthorizationStatus.COMPLETED,
  failed: AuthorizationStatus.FAILED,
  expired: AuthorizationStatus.EXPIRED,
};

function requireScopes(scopes: string[]): string[] {
  if (scopes.length > 100) throw new InvalidArgument("scopes", "must have at most 100 entries");
  for (const s of scopes) {
    if (s.length === 0 || s.length > 256 || /\s/.test(s)) throw new InvalidArgument("scopes", "entries must be 1..256 characters without spaces");
  }
  return scopes;
}

export function createOAuthService(deps: OAuthServiceDeps): ServiceImplementation<typeof OAuthService> {
  return {
    async startAuthorization(req) {
      const input = {
        userId: requireUserId(req.userId),
        provider: requireString(req.provider, "provider", 64),
        scopes: requireScopes(req.scopes),
        redirectUri: requireString(req.redirectUri, "redirect_uri", 2048),
        credentialId: optionalUuid(req.credentialId, "credential_id"),
      };
      const started = await deps.flow.start(input);
      return {
        authorizationUrl: started.authorizationUrl,
        state: started.state,
        expiresAt: timestampFromDate(started.expiresAt),
      };
    },

    async completeAuthorization(req) {
      const state = requireString(req.state, "state", 256);
      const code = requireString(req.code, "code", 4096);
      const outcome = await deps.flow.exchange(state, code);
      if ("cause" in outcome) throw outcome.cause;
      return { credential: toProtoCredential(outcome.credential) };
    },

    async getAuthorization(req) {
      const view = await deps.flow.get(maxLength(requireString(req.state, "state", 256), "state", 256));
      return {
        status: STATUS[view.status],
        provider: view.provider,
        userId: view.userId,
        expiresAt: timestampFromDate(view.expiresAt),
        error: view.error ?? "",
        ...(view.credential ? { credential: toProtoCredential(view.credential) } : {}),
      };
    },
  };
}
