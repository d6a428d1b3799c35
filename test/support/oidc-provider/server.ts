/**
 * A real OAuth 2.0 / OIDC authorization server (panva/oidc-provider) on 127.0.0.1:0, configured
 * for what Latchkey relies on: authorization code + PKCE (required), client_secret_basic, rotating
 * refresh tokens (reuse revokes the grant), RFC 7009 revocation, userinfo, client credentials.
 * Its dev interactions are driven with fetch and a cookie jar (see drive.ts): no browser.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";
import type { ProviderDefinitionInput } from "../../../src/providers/schema.js";

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The provider definition Latchkey loads as a custom provider. */
  definition(name?: string): ProviderDefinitionInput;
  close(): Promise<void>;
}

export async function startTestIdp(opts: { redirectUri: string; accessTokenTtlSeconds?: number }): Promise<TestIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "latchkey-test";
  const clientSecret = "idp-client-secret-0123456789abcdef";

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        scope: "openid email offline_access api:read",
      },
    ],
    scopes: ["openid", "email", "offline_access", "api:read"],
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: true }),
    }),
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      clientCredentials: { enabled: true },
    },
    pkce: { required: () => true },
    // Every refresh rotates the refresh token; a reused one is refused (and the grant revoked).
    rotateRefreshToken: () => true,
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(g: string): boolean }) => client.grantTypeAllowed("refresh_token"),
    ttl: {
      AccessToken: opts.accessTokenTtlSeconds ?? 3600,
      ClientCredentials: opts.accessTokenTtlSeconds ?? 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 86_400,
      RefreshToken: 86_400,
      IdToken: 600,
    },
    cookies: { keys: ["test-cookie-key-0123456789"] },
  });
  // Silence its dev-mode warnings and error event noise in test output.
  provider.on("server_error", () => {});
  server.on("request", provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    definition: (name = "test_idp") => ({
      name,
      display_name: "Test IdP",
      category: "identity",
      auth_types: ["oauth2"],
      oauth: {
        authorize_url: `${issuer}/auth`,
        token_url: `${issuer}/token`,
        default_scopes: ["openid", "email"],
        pkce: true,
        client_auth: "client_secret_basic",
        body_format: "form",
        userinfo: { url: `${issuer}/me`, username_paths: ["email", "sub"] },
        revoke: { url: `${issuer}/token/revocation`, client_auth: "client_secret_basic" },
        refresh: true,
        rotates_refresh_token: true,
      },
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
