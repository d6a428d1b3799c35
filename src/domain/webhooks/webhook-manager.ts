/**
 * Webhook records: create (optionally registering the hook at the provider with a secret Latchkey
 * generates), read, list, delete (deregistering where Latchkey registered) and rotate the signing
 * secret with a grace period. Knows no provider by name: the registry says which scheme and
 * registrar a provider uses.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../../observability/logger.js";
import type { WebhookRegistrar } from "../../providers/webhook-registrars/index.js";
import { webhookScheme } from "../../providers/webhook-schemes/index.js";
import type { ProviderRegistry } from "../../providers/types.js";
import type { SecretStore } from "../../secrets/secret-store.js";
import { FailedPrecondition, Internal, InvalidArgument, isDomainError, NotFound, Unavailable } from "../errors.js";
import { encryptWebhookSecret } from "./webhook-secrets.js";
import type { WebhookRow, WebhooksRepo } from "./webhook.js";

/** What registration needs from the token service. `provider` lets us refuse another provider's credential. */
export type GetAccessToken = (userId: string, credentialId: string) => Promise<{ accessToken: string; provider?: string }>;

/**
 * For hooks Latchkey registered, the old secret keeps verifying at least this long after a
 * rotation (whatever the requested grace), covering the provider's switch and deliveries it signed
 * just before; and a rotation rolled back after a failed provider update keeps the new secret this long.
 */
export const PROVIDER_SWITCH_GRACE_MS = 5 * 60_000;

export interface WebhookManagerDeps {
  repo: WebhooksRepo;
  secrets: SecretStore;
  providers: Pick<ProviderRegistry, "get">;
  registrars: ReadonlyMap<string, WebhookRegistrar>;
  getAccessToken: GetAccessToken;
  /** Base of ingress URLs, without a trailing slash. */
  publicUrl: string;
  rotationGraceMs: number;
  now?: () => number;
  logger: Logger;
}

export interface CreateWebhookInput {
  userId: string;
  provider: string;
  resource: string;
  events: string[];
  credentialId?: string;
  secret?: string;
}

export interface WebhookWithSecret {
  webhook: WebhookRow;
  /** Only when Latchkey generated a secret the caller must configure at the provider. */
  signingSecret?: string;
}

export interface WebhookManager {
  ingressUrl(row: Pick<WebhookRow, "provider" | "id">): string;
  create(input: CreateWebhookInput): Promise<WebhookWithSecret>;
  get(userId: string, id: string): Promise<WebhookRow>;
  list(userId: string, provider?: string): Promise<WebhookRow[]>;
  delete(userId: string, id: string): Promise<{ deregisteredAtProvider: boolean }>;
  rotateSecret(input: { userId: string; id: string; secret?: string; graceMs?: number }): Promise<WebhookWithSecret>;
}

export function createWebhookManager(deps: WebhookManagerDeps): WebhookManager {
  const now = deps.now ?? Date.now;
  const ingressUrl = (w: Pick<WebhookRow, "provider" | "id">) =>
    `${deps.publicUrl}/webhooks/${encodeURIComponent(w.provider)}/${w.id}`;

  function providerWebhooks(name: string) {
    const p = deps.providers.get(name);
    if (!p) throw new InvalidArgument("provider", "unknown provider");
    if (!p.supportsWebhooks || !p.webhookScheme) throw new InvalidArgument("provider", "does not send webhooks");
    const scheme = webhookScheme(p.webhookScheme);
    // A provider naming a scheme this build lacks is a configuration bug: refuse rather than store an unverifiable hook.
    if (!scheme) throw new FailedPrecondition(`webhook scheme "${p.webhookScheme}" is not available`);
    const registrar = p.webhookRegistrar ? deps.registrars.get(p.webhookRegistrar) : undefined;
    return { scheme, registrar };
  }

  async function token(userId: string, credentialId: string, provider: string): Promise<string> {
    const t = await deps.getAccessToken(userId, credentialId);
    if (t.provider !== undefined && t.provider !== provider) throw new InvalidArgument("credential_id", "belongs to another provider");
    return t.accessToken;
  }

  async function get(userId: string, id: string): Promise<WebhookRow> {
    const row = await deps.repo.get(userId, id);
    if (!row) throw new NotFound("webhook");
    return row;
  }

  return {
    ingressUrl,
    get,
    list: (userId, provider) => deps.repo.list(userId, provider),

    async create(input) {
      const { scheme, registrar } = providerWebhooks(input.provider);
      const id = randomUUID();
      const url = ingressUrl({ provider: input.provider, id });
      let secret: string;
      let signingSecret: string | undefined;
      let providerWebhookId = "";

      if (input.credentialId) {
        if (input.secret) throw new InvalidArgument("secret", "must be empty when credential_id registers the hook");
        if (!registrar) throw new InvalidArgument("credential_id", "this provider's webhooks cannot be registered through its API");
        const bad = registrar.checkResource(input.resource);
        if (bad) throw new InvalidArgument("resource", bad);
        if (!scheme.generateSecret) throw new Internal({ cause: new Error(`scheme ${scheme.name} cannot generate secrets`) });
        const accessToken = await token(input.userId, input.credentialId, input.provider);
        secret = scheme.generateSecret();
        ({ providerWebhookId } = await registrar.register({ accessToken, resource: input.resource, url, secret, events: input.events }));
      } else if (input.secret) {
        const bad = scheme.checkSecret(input.secret);
        if (bad) throw new InvalidArgument("secret", bad);
        secret = input.secret;
      } else if (scheme.generateSecret) {
        secret = signingSecret = scheme.generateSecret();
      } else {
        throw new InvalidArgument("secret", "is required: this provider issues the signing secret");
      }

      try {
        const webhook = await deps.repo.insert({
          id,
          userId: input.userId,
          provider: input.provider,
          scheme: scheme.name,
          resource: input.resource,
          events: input.events,
          credentialId: input.credentialId ?? null,
          registrar: providerWebhookId ? registrar!.name : null,
          providerWebhookId,
          secretCiphertext: await encryptWebhookSecret(deps.secrets, input.userId, id, secret),
        });
        return signingSecret ? { webhook, signingSecret } : { webhook };
      } catch (err) {
        // Do not leave a hook at the provider pointing at a webhook we failed to store.
        if (providerWebhookId && registrar && input.credentialId) {
          const accessToken = await token(input.userId, input.credentialId, input.provider).catch(() => undefined);
          if (accessToken) await registrar.deregister({ accessToken, resource: input.resource, providerWebhookId }).catch(() => false);
        }
        throw err;
      }
    },

    async delete(userId, id) {
      const row = await get(userId, id);
      let deregisteredAtProvider = false;
      const registrar = row.registrar ? deps.registrars.get(row.registrar) : undefined;
      if (registrar && row.credentialId && row.providerWebhookId) {
        try {
          const accessToken = await token(userId, row.credentialId, row.provider);
          deregisteredAtProvider = await registrar.deregister({ accessToken, resource: row.resource, providerWebhookId: row.providerWebhookId });
        } catch (err) {
          // A provider outage or a dead credential must not block the delete; the caller sees false.
          deps.logger.warn({ err, webhookId: id, provider: row.provider }, "webhook deregistration at the provider failed");
        }
      }
      if (!(await deps.repo.delete(userId, id))) throw new NotFound("webhook");
      return { deregisteredAtProvider };
    },

    async rotateSecret({ userId, id, secret: given, graceMs }) {
      const row = await get(userId, id);
      const scheme = webhookScheme(row.scheme);
      if (!scheme) throw new FailedPrecondition(`webhook scheme "${row.scheme}" is not available`);
      const registrar = row.registrar ? deps.registrars.get(row.registrar) : undefined;
      const grace = graceMs ?? deps.rotationGraceMs;
      if (registrar && row.credentialId && row.providerWebhookId && scheme.generateSecret) {
        if (given) throw new InvalidArgument("secret", "must be empty for a hook Latchkey registered");
        return rotateAtProvider(row, registrar, scheme.generateSecret(), grace);
      }
      let secret: string;
      let signingSecret: string | undefined;
      if (given) {
        const bad = scheme.checkSecret(given);
        if (bad) throw new InvalidArgument("secret", bad);
        secret = given;
      } else if (scheme.generateSecret) {
        secret = signingSecret = scheme.generateSecret();
      } else {
        throw new InvalidArgument("secret", "is required: this provider issues the signing secret");
      }
      const updated = await deps.repo.rotateSecret(userId, id, row.version, {
        secretCiphertext: await encryptWebhookSecret(deps.secrets, userId, id, secret),
        previousSecretCiphertext: grace > 0 ? row.secretCiphertext : null,
        previousSecretExpiresAt: grace > 0 ? new Date(now() + grace) : null,
      });
      if (!updated) throw new FailedPrecondition("the webhook changed during the rotation; retry");
      return signingSecret ? { webhook: updated, signingSecret } : { webhook: updated };
    },
  };

  /**
   * Rotation of a hook Latchkey registered. Store first, provider second, so that every delivery
   * verifies whatever the provider signs with at each moment:
   *   1. save the new secret as current and the old one as previous (grace at least
   *      PROVIDER_SWITCH_GRACE_MS, so the old secret verifies until the provider has switched);
   *      a failed save (secret store down, a concurrent rotation won the version check) changes
   *      nothing anywhere;
   *   2. push the new secret to the provider;
   *   3. if the provider refused or could not be reached, roll back (version-checked): the old
   *      secret is current again, because the provider still signs with it and must keep verifying
   *      after any grace period; the new one stays as previous for PROVIDER_SWITCH_GRACE_MS in case
   *      the update took effect although its answer was lost. The caller gets the error and retries.
   */
  async function rotateAtProvider(row: WebhookRow, registrar: WebhookRegistrar, secret: string, grace: number): Promise<WebhookWithSecret> {
    const { userId, id } = row;
    const accessToken = await token(userId, row.credentialId!, row.provider);
    const secretCiphertext = await encryptWebhookSecret(deps.secrets, userId, id, secret);
    const saved = await deps.repo.rotateSecret(userId, id, row.version, {
      secretCiphertext,
      previousSecretCiphertext: row.secretCiphertext,
      previousSecretExpiresAt: new Date(now() + Math.max(grace, PROVIDER_SWITCH_GRACE_MS)),
    });
    if (!saved) throw new FailedPrecondition("the webhook changed during the rotation; retry");
    try {
      await registrar.updateSecret({ accessToken, resource: row.resource, providerWebhookId: row.providerWebhookId, url: ingressUrl(row), secret });
    } catch (err) {
      const restored = await deps.repo
        .rotateSecret(userId, id, saved.version, {
          secretCiphertext: row.secretCiphertext,
          previousSecretCiphertext: secretCiphertext,
          previousSecretExpiresAt: new Date(now() + PROVIDER_SWITCH_GRACE_MS),
        })
        .catch((rollbackErr: unknown) => {
          deps.logger.error({ err: rollbackErr, webhookId: id, provider: row.provider }, "webhook secret rollback failed");
          return undefined;
        });
      // Not restored: another rotation moved the row on (its own provider update decides), or Postgres failed.
      if (!restored) deps.logger.warn({ webhookId: id, provider: row.provider }, "webhook secret not rolled back after a failed provider update");
      // The registrar's refusals (token refused, missing permission) keep their meaning; anything else is an outage.
      throw isDomainError(err) ? err : new Unavailable(row.provider, { cause: err });
    }
    return { webhook: saved };
  }
}
