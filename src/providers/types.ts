/**
 * What the rest of Latchkey sees of a provider. The registry (registry.ts) builds these from
 * declarative definitions (schema.ts) plus optional code hooks; core code reads fields, never names.
 */
import type { ProviderHooks } from "./hooks.js";
import type { ProviderDefinition } from "./schema.js";

export type AuthType = "oauth2" | "api_key";

export interface ProviderSummary {
  /** Stable id, equal to the API's string (e.g. "github"). */
  name: string;
  displayName: string;
  category: string;
  authTypes: AuthType[];
  defaultScopes: string[];
  supportsRefresh: boolean;
  supportsRevoke: boolean;
  supportsWebhooks: boolean;
  /**
   * Client id/secret present, or not needed (API-key-only providers). For providers that offer
   * both OAuth and API keys, false means only the OAuth flow is unavailable.
   */
  configured: boolean;
  /** Name of the webhook signature scheme in webhook-schemes/, when the provider sends webhooks. */
  webhookScheme?: string;
  /** Name of the webhook registrar in webhook-registrars/, when webhooks can be registered through the API. */
  webhookRegistrar?: string;
  /** Added from configuration rather than built in. */
  custom: boolean;
}

/** The OAuth client Latchkey is registered as at a provider. Never logged. */
export interface ProviderClient {
  clientId: string;
  clientSecret: string;
}

/** Everything the OAuth machinery needs about one provider. */
export interface ResolvedProvider {
  summary: ProviderSummary;
  definition: ProviderDefinition;
  /** Absent when not configured. */
  client?: ProviderClient;
  hooks: ProviderHooks;
}

export interface ProviderRegistry {
  list(): ProviderSummary[];
  get(name: string): ProviderSummary | undefined;
  resolve(name: string): ResolvedProvider | undefined;
}
