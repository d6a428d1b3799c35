import { describe, expect, it } from "vitest";
import { createProviderRegistry } from "./registry.js";
import { parseProvidersFile } from "./providers-file.js";
import { ProviderSchemaError } from "./schema.js";

const EVERY_PROVIDER = `openai anthropic groq replicate ollama nvidia aiml_api llama_api open_router github notion e2b v0
  twitter discord reddit medium google google_maps todoist hubspot smartlead d_id ideogram fal unreal_speech revid
  screenshotone pinecone mem0 jina zerobounce enrichlayer http smtp apollo compass slant3d openweathermap slack linear stripe`
  .split(/\s+/)
  .filter(Boolean);

const CUSTOM_YAML = `
providers:
  - name: acme
    display_name: Acme IdP
    category: identity
    auth_types: [oauth2]
    oauth:
      authorize_url: http://127.0.0.1:9999/auth
      token_url: http://127.0.0.1:9999/token
      default_scopes: [openid, offline_access]
      pkce: true
      refresh: true
      rotates_refresh_token: true
    client_id: acme-client
    client_secret_env: ACME_SECRET
clients:
  google:
    client_id: g-id
    client_secret: g-secret
`;

describe("provider registry", () => {
  it("lists every catalogue provider with the contract's fields", () => {
    const names = createProviderRegistry({ env: {} }).list().map((p) => p.name);
    expect(names.sort()).toEqual([...EVERY_PROVIDER].sort());
  });

  it("marks OAuth providers without client credentials as not configured and API-key-only ones as configured", () => {
    const r = createProviderRegistry({ env: {} });
    expect(r.get("github")?.configured).toBe(false);
    expect(r.get("openai")?.configured).toBe(true);
    expect(r.resolve("github")?.client).toBeUndefined();
  });

  it("reads client credentials from LATCHKEY_PROVIDER_<NAME>_CLIENT_ID/_CLIENT_SECRET", () => {
    const r = createProviderRegistry({
      env: { LATCHKEY_PROVIDER_TWITTER_CLIENT_ID: "id", LATCHKEY_PROVIDER_TWITTER_CLIENT_SECRET: "secret" },
    });
    expect(r.get("twitter")).toMatchObject({ configured: true, supportsRefresh: true, supportsRevoke: true });
    expect(r.resolve("twitter")?.client).toEqual({ clientId: "id", clientSecret: "secret" });
  });

  it("carries webhook scheme and registrar names as data", () => {
    const r = createProviderRegistry({ env: {} });
    expect(r.get("github")).toMatchObject({ supportsWebhooks: true, webhookScheme: "github", webhookRegistrar: "github-repo" });
    expect(r.get("stripe")).toMatchObject({ supportsWebhooks: true, webhookScheme: "stripe" });
    expect(r.get("openai")?.supportsWebhooks).toBe(false);
  });

  it("adds custom providers and built-in client credentials from a YAML providers file", () => {
    const file = parseProvidersFile(CUSTOM_YAML, { ACME_SECRET: "s3cret" });
    const r = createProviderRegistry({ env: {}, custom: file.custom, clients: file.clients });
    expect(r.get("acme")).toMatchObject({ custom: true, configured: true, defaultScopes: ["openid", "offline_access"] });
    expect(r.resolve("acme")?.client).toEqual({ clientId: "acme-client", clientSecret: "s3cret" });
    expect(r.get("google")?.configured).toBe(true);
  });

  it("accepts the same file as JSON", () => {
    const file = parseProvidersFile(JSON.stringify({ clients: { slack: { client_id: "a", client_secret: "b" } } }), {});
    expect(createProviderRegistry({ env: {}, clients: file.clients }).get("slack")?.configured).toBe(true);
  });

  it("refuses a custom provider that reuses a built-in name", () => {
    const def = parseProvidersFile(CUSTOM_YAML.replace("name: acme", "name: github"), {}).custom;
    expect(() => createProviderRegistry({ env: {}, custom: def })).toThrow(/clashes with a built-in provider/);
  });

  it("reports every schema problem of a providers file at once", () => {
    const bad = `providers:
  - name: Bad-Name
    display_name: x
    category: y
    auth_types: [oauth2]
    oauth:
      token_url: ftp://example.com/token
      client_auth: client_secret_jwt
      colour: blue
`;
    try {
      parseProvidersFile(bad, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProviderSchemaError);
      const problems = (err as ProviderSchemaError).problems.join("\n");
      expect(problems).toMatch(/name: must match/);
      expect(problems).toMatch(/token_url: must be https/);
      expect(problems).toMatch(/authorize_url: must be a non-empty string/);
      expect(problems).toMatch(/client_auth: must be one of/);
      expect(problems).toMatch(/colour: unknown field/);
    }
  });
});
