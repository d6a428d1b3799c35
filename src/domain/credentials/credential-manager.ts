/**
 * Credential life cycle outside the hot path: create API-key credentials, edit metadata, delete.
 * Secrets are encrypted bound to the row (user id + credential id) before the row is written.
 */
import { randomUUID } from "node:crypto";
import type { ProviderRegistry } from "../../providers/types.js";
import { rowContext, type SecretStore } from "../../secrets/secret-store.js";
import type { CredentialsRepo, ListQuery } from "../../storage/credentials-repo.js";
import { InvalidArgument, NotFound } from "../errors.js";
import type { CredentialRow } from "./credential.js";
import type { TokenRevoker } from "./ports.js";

export interface CredentialManagerDeps {
  repo: CredentialsRepo;
  secrets: SecretStore;
  providers: ProviderRegistry;
  revoker: TokenRevoker;
  /** Called after a local change so this replica's token cache drops the row at once. */
  onChanged?: (credentialId: string) => void;
}

export interface NewApiKey {
  userId: string;
  provider: string;
  apiKey: string;
  title: string;
  metadata: Record<string, string>;
}

export function createCredentialManager(deps: CredentialManagerDeps) {
  const { repo, secrets, providers } = deps;

  return {
    async createApiKey(input: NewApiKey): Promise<CredentialRow> {
      const provider = providers.get(input.provider);
      if (!provider) throw new InvalidArgument("provider", `unknown provider "${input.provider}"`);
      if (!provider.authTypes.includes("api_key")) {
        throw new InvalidArgument("provider", `provider "${input.provider}" does not take API keys`);
      }
      const id = randomUUID();
      const secretCiphertext = await secrets.encrypt(Buffer.from(input.apiKey, "utf8"), rowContext("credential", input.userId, id));
      return repo.insert({
        id,
        userId: input.userId,
        provider: provider.name,
        kind: "api_key",
        title: input.title || provider.displayName,
        scopes: [],
        username: "",
        metadata: input.metadata,
        secretCiphertext,
        refreshTokenCiphertext: null,
        accessTokenExpiresAt: null,
        tokenType: "ApiKey",
      });
    },

    async get(userId: string, id: string): Promise<CredentialRow> {
      const row = await repo.get(userId, id);
      if (!row) throw new NotFound("credential");
      return row;
    },

    list: (q: ListQuery) => repo.list(q),

    async update(userId: string, id: string, patch: { title?: string; metadata?: Record<string, string> }) {
      const row = await repo.updateMetadata(userId, id, patch);
      if (!row) throw new NotFound("credential");
      return row;
    },

    /**
     * Deletes the row first, then revokes at the provider: once the delete commits no replica can
     * hand the token out (the hand-out gate checks the row), so nothing is served between the
     * revocation and the delete. The revoker never throws for provider failures (outbox).
     */
    async delete(userId: string, id: string): Promise<{ revokedAtProvider: boolean }> {
      const row = await repo.delete(userId, id);
      if (!row) throw new NotFound("credential");
      deps.onChanged?.(id);
      const revokedAtProvider = row.kind === "oauth2" ? await deps.revoker.revoke(row) : false;
      return { revokedAtProvider };
    },
  };
}

export type CredentialManager = ReturnType<typeof createCredentialManager>;
