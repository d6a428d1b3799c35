/**
 * The custom-provider file (LATCHKEY_PROVIDERS_FILE), YAML or JSON:
 *
 *   providers:            # custom providers: the same schema as the catalogue, no code
 *     - name: acme
 *       display_name: Acme
 *       ...
 *       client_id: ...            # or client_id_env: NAME_OF_ENV_VAR
 *       client_secret_env: ACME_SECRET
 *   clients:              # client credentials for built-in providers (the environment wins)
 *     github: { client_id: ..., client_secret_env: GITHUB_SECRET }
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import type { ProviderClient } from "./types.js";
import { ProviderSchemaError, validateProviderDefinitions, type ProviderDefinition } from "./schema.js";

export interface ProvidersFile {
  custom: ProviderDefinition[];
  clients: Record<string, ProviderClient>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const CLIENT_KEYS = ["client_id", "client_secret", "client_id_env", "client_secret_env"];

function readClient(o: Obj, env: NodeJS.ProcessEnv, where: string, problems: string[]): ProviderClient | undefined {
  const pick = (key: "client_id" | "client_secret"): string | undefined => {
    const direct = o[key];
    const viaEnv = o[`${key}_env`];
    if (direct !== undefined && typeof direct !== "string") problems.push(`${where}.${key}: must be a string`);
    if (viaEnv !== undefined && typeof viaEnv !== "string") problems.push(`${where}.${key}_env: must be a string`);
    const v = typeof viaEnv === "string" ? env[viaEnv] : direct;
    return typeof v === "string" && v.length > 0 ? v : undefined;
  };
  const clientId = pick("client_id");
  const clientSecret = pick("client_secret");
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

/** Parses and validates the file's text. Reports every problem at once (ProviderSchemaError). */
export function parseProvidersFile(text: string, env: NodeJS.ProcessEnv, source = "providers file"): ProvidersFile {
  let doc: unknown;
  try {
    doc = text.trimStart().startsWith("{") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ProviderSchemaError([`${source}: not valid YAML or JSON (${(err as Error).message.split("\n")[0]})`]);
  }
  doc ??= {};
  if (!isObj(doc)) throw new ProviderSchemaError([`${source}: must be a mapping with "providers" and/or "clients"`]);
  const problems: string[] = [];
  for (const k of Object.keys(doc)) if (k !== "providers" && k !== "clients") problems.push(`${source}.${k}: unknown field`);
  const rawProviders = doc.providers ?? [];
  const rawClients = doc.clients ?? {};
  if (!Array.isArray(rawProviders)) problems.push(`${source}.providers: must be a list`);
  if (!isObj(rawClients)) problems.push(`${source}.clients: must be a mapping`);
  const clients: Record<string, ProviderClient> = {};
  const definitions: unknown[] = [];
  for (const [i, p] of (Array.isArray(rawProviders) ? rawProviders : []).entries()) {
    if (!isObj(p)) {
      definitions.push(p);
      continue;
    }
    const def: Obj = {};
    for (const [k, v] of Object.entries(p)) if (!CLIENT_KEYS.includes(k)) def[k] = v;
    definitions.push(def);
    const client = readClient(p, env, `${source}.providers[${i}]`, problems);
    if (client && typeof p.name === "string") clients[p.name] = client;
  }
  for (const [name, c] of Object.entries(isObj(rawClients) ? rawClients : {})) {
    if (!isObj(c)) {
      problems.push(`${source}.clients.${name}: must be a mapping`);
      continue;
    }
    const client = readClient(c, env, `${source}.clients.${name}`, problems);
    if (client) clients[name] = client;
  }
  let custom: ProviderDefinition[] = [];
  try {
    custom = validateProviderDefinitions(definitions, `${source}.providers`);
  } catch (err) {
    if (!(err instanceof ProviderSchemaError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0) throw new ProviderSchemaError(problems);
  return { custom, clients };
}

export async function loadProvidersFile(file: string, env: NodeJS.ProcessEnv): Promise<ProvidersFile> {
  return parseProvidersFile(await readFile(file, "utf8"), env, file);
}
