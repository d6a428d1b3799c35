/**
 * A provider's OAuth token endpoint for the refresh stampede: answers `grant_type=refresh_token`
 * with a fresh access token after TOKEN_ENDPOINT_DELAY_MS (a provider's real latency, default 50),
 * and counts every refresh. GET /count returns {"refreshes": N}. Checks the client credentials
 * (client_secret_post or Basic) so a misconfigured bench fails loudly instead of counting garbage.
 * Prints {"ready": {"port"}}. Env: TOKEN_ENDPOINT_CLIENT_ID, TOKEN_ENDPOINT_CLIENT_SECRET.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { announceReady } from "../lib/child.js";

const delayMs = Number(process.env.TOKEN_ENDPOINT_DELAY_MS ?? 50);
const clientId = process.env.TOKEN_ENDPOINT_CLIENT_ID ?? "";
const clientSecret = process.env.TOKEN_ENDPOINT_CLIENT_SECRET ?? "";
let refreshes = 0;
let rejected = 0;

function clientOk(params: URLSearchParams, authorization: string | undefined): boolean {
  if (params.get("client_id") === clientId && params.get("client_secret") === clientSecret) return true;
  if (!authorization?.startsWith("Basic ")) return false;
  const [id, secret] = Buffer.from(authorization.slice(6), "base64").toString().split(":").map(decodeURIComponent);
  return id === clientId && secret === clientSecret;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/count") return json(200, { refreshes, rejected });
    if (req.method !== "POST" || req.url !== "/token") return json(404, { error: "not_found" });
    const raw = Buffer.concat(chunks).toString();
    const params = (req.headers["content-type"] ?? "").includes("json")
      ? new URLSearchParams(JSON.parse(raw) as Record<string, string>)
      : new URLSearchParams(raw);
    if (!clientOk(params, req.headers.authorization)) {
      rejected++;
      return json(401, { error: "invalid_client" });
    }
    if (params.get("grant_type") !== "refresh_token" || !params.get("refresh_token")) {
      rejected++;
      return json(400, { error: "unsupported_grant_type" });
    }
    refreshes++;
    setTimeout(
      () => json(200, { access_token: `at-${randomBytes(24).toString("hex")}`, token_type: "Bearer", expires_in: 3600, scope: "read" }),
      delayMs,
    );
  });
});
server.listen(0, "127.0.0.1", () => {
  announceReady({ port: (server.address() as AddressInfo).port }, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
