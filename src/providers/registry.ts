/**
 * The provider registry: built-in catalogue plus custom providers from configuration, validated
 * together at startup (a bad definition stops the process with every problem listed). Client
 * credentials come from the environment (LATCHKEY_PROVIDER_<NAME>_CLIENT_ID / _CLIENT_SECRET)
 * or the providers file; the environment wins.
 */
import { BUILT_IN_PROVIDERS } from "./catalogue/index.js";
import { BUILT_IN_HOOKS, type ProviderHooks } from "./hooks.js";
import { ProviderSchemaError, validateProviderDefinitions, type ProviderDefinition } from "./schema.js";
import type { ProviderClient, ProviderRegistry, ProviderSummary, ResolvedProvider } from "./types.js";

export interface ProviderRegistryOptions {
  /** Custom providers (already parsed from LATCHKEY_PROVIDERS_FILE); validated again here. */
  custom?: ProviderDefinition[];
  /** Client credentials from the providers file, by provider name. */
  clients?: Record<string, ProviderClient>;
  env: NodeJS.ProcessEnv;
  /** Replaces the built-in catalogue (tests). */
  builtIn?: readonly unknown[];
}

export function clientEnvNames(name: string): { id: string; secret: string } {
  const base = `LATCHKEY_PROVIDER_${name.toUpperCase()}`;
  return { id: `${base}_CLIENT_ID`, secret: `${base}_CLIENT_SECRET` };
}

function clientFor(name: string, opts: ProviderRegistryOptions): ProviderClient | undefined {
  const names = clientEnvNames(name);
  const id = opts.env[names.id];
  const secret = opts.env[names.secret];
  if (id && secret) return { clientId: id, clientSecret: secret };
  return opts.clients?.[name];
}

function summarize(def: ProviderDefinition, client: ProviderClient | undefined, custom: boolean): ProviderSummary {
  const oauth = def.oauth;
  const summary: ProviderSummary = {
    name: def.name,
    displayName: def.display_name,
    category: def.category,
    authTypes: [...def.auth_types],
    defaultScopes: [...(oauth?.default_scopes ?? [])],
    supportsRefresh: oauth?.refresh ?? false,
    supportsRevoke: oauth?.revoke !== undefined,
    supportsWebhooks: def.webhook !== undefined,
    configured: oauth === undefined || client !== undefined,
    custom,
  };
  if (def.webhook) summary.webhookScheme = def.webhook.scheme;
  if (def.webhook?.registrar) summary.webhookRegistrar = def.webhook.registrar;
  return summary;
}

export function createProviderRegistry(opts: ProviderRegistryOptions): ProviderRegistry {
  const builtIn = validateProviderDefinitions([...(opts.builtIn ?? BUILT_IN_PROVIDERS)], "catalogue");
  const custom = validateProviderDefinitions(opts.custom ?? [], "custom providers");
  const builtInNames = new Set(builtIn.map((d) => d.name));
  const clash = custom.filter((d) => builtInNames.has(d.name)).map((d) => `custom providers[${d.name}]: clashes with a built-in provider`);
  const unknownClients = Object.keys(opts.clients ?? {})
    .filter((n) => !builtInNames.has(n) && !custom.some((d) => d.name === n))
    .map((n) => `clients.${n}: no such provider`);
  if (clash.length + unknownClients.length > 0) throw new ProviderSchemaError([...clash, ...unknownClients]);

  const resolved = new Map<string, ResolvedProvider>();
  const add = (def: ProviderDefinition, isCustom: boolean, hooks: ProviderHooks) => {
    const client = def.oauth ? clientFor(def.name, opts) : undefined;
    const entry: ResolvedProvider = { summary: summarize(def, client, isCustom), definition: def, hooks };
    if (client) entry.client = client;
    resolved.set(def.name, entry);
  };
  for (const def of builtIn) add(def, false, BUILT_IN_HOOKS[def.name] ?? {});
  for (const def of custom) add(def, true, {});

  const summaries = [...resolved.values()].map((r) => r.summary).sort((a, b) => a.name.localeCompare(b.name));
  return {
    list: () => summaries.map((s) => ({ ...s, authTypes: [...s.authTypes], defaultScopes: [...s.defaultScopes] })),
    get: (name) => {
      const s = resolved.get(name)?.summary;
      return s && { ...s, authTypes: [...s.authTypes], defaultScopes: [...s.defaultScopes] };
    },
    resolve: (name) => resolved.get(name),
  };
}
