/**
 * What the rest of Latchkey sees of a provider. The registry (registry.ts) builds these from
 * declarative definitions (schema.ts) plus optional code hooks; core code reads fields, never names.
 */
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
  /** Client id/secret present, or not needed (API-key-only providers). */
  configured: boolean;
  /** Name of the webhook signature scheme in webhook-schemes/, when the provider sends webhooks. */
  webhookScheme?: string;
  /** Added from configuration rather than built in. */
  custom: boolean;
}

export interface ProviderRegistry {
  list(): ProviderSummary[];
  get(name: string): ProviderSummary | undefined;
}
