/**
 * Client authentication and body encoding for token and revocation requests, as the provider's
 * data says: HTTP basic (RFC 6749 §2.3.1, form-encoded id and secret) or credentials in the body;
 * form or JSON bodies.
 */
import type { BodyFormat, ClientAuthMethod } from "../../providers/schema.js";
import type { ProviderClient } from "../../providers/types.js";

const formEncode = (s: string) => encodeURIComponent(s).replaceAll("%20", "+");

export function basicAuthorization(client: ProviderClient): string {
  return `Basic ${Buffer.from(`${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`).toString("base64")}`;
}

export interface EncodedBody {
  headers: Record<string, string>;
  body: string;
}

export function encodeClientRequest(
  params: Record<string, string>,
  client: ProviderClient,
  auth: ClientAuthMethod | "none",
  format: BodyFormat,
): EncodedBody {
  const headers: Record<string, string> = { accept: "application/json" };
  const fields = { ...params };
  if (auth === "client_secret_basic") headers.authorization = basicAuthorization(client);
  if (auth === "client_secret_post") {
    fields.client_id = client.clientId;
    fields.client_secret = client.clientSecret;
  }
  if (auth === "none") fields.client_id = client.clientId;
  if (format === "json") {
    headers["content-type"] = "application/json";
    return { headers, body: JSON.stringify(fields) };
  }
  headers["content-type"] = "application/x-www-form-urlencoded";
  return { headers, body: new URLSearchParams(fields).toString() };
}
