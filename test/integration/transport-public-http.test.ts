import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgument, NotFound } from "../../src/domain/errors.js";
import { startPublicServer, type PublicServerHandle } from "../../src/transport/http/public-server.js";
import { closeAfterResponse, readRawBody } from "../../src/transport/http/raw-body.js";
import type { Route } from "../../src/transport/http/route.js";
import { sendJson } from "../../src/transport/http/status-map.js";
import { captureLogs } from "../support/logs.js";

const routes: Route[] = [
  {
    method: "POST",
    path: "/webhooks/:provider/:webhookId",
    handler: async (req, res, params) => {
      if (params.webhookId === "unknown") throw new NotFound("webhook");
      const body = await readRawBody(req, 64).catch((err: unknown) => {
        closeAfterResponse(req, res);
        throw err;
      });
      sendJson(res, 202, { ...params, bytes: body.length });
    },
  },
  {
    method: "GET",
    path: "/oauth/callback",
    handler: async (req, res) => {
      const q = new URL(req.url ?? "/", "http://x").searchParams;
      if (!q.get("state")) throw new InvalidArgument("state", "missing");
      if (q.get("state") === "slow") await sleep(200);
      if (q.get("state") === "bug") throw new Error("unexpected db row with secret sauce");
      res.writeHead(303, { location: "https://app.example/done" });
      res.end();
    },
  },
];

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.write(text));
    let out = "";
    sock.on("data", (d) => (out += d));
    sock.on("end", () => resolve(out));
    sock.on("error", reject);
  });
}

describe("public HTTP port", () => {
  const logs = captureLogs();
  let server: PublicServerHandle;
  let base: string;

  beforeAll(async () => {
    server = await startPublicServer({ routes, host: "127.0.0.1", port: 0, logger: logs.logger });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.drain(1000));

  it("answers GET and HEAD /healthz", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect((await fetch(`${base}/healthz`, { method: "HEAD" })).status).toBe(200);
  });

  it("matches routes with :param segments and passes decoded parameters", async () => {
    const res = await fetch(`${base}/webhooks/github/wh%2D1`, { method: "POST", body: "hello" });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ provider: "github", webhookId: "wh-1", bytes: 5 });
  });

  it("maps domain errors thrown by handlers to their HTTP statuses", async () => {
    expect((await fetch(`${base}/webhooks/github/unknown`, { method: "POST", body: "x" })).status).toBe(404);
    const tooLarge = await fetch(`${base}/webhooks/github/w1`, { method: "POST", body: "x".repeat(100) });
    expect(tooLarge.status).toBe(413);
    const bad = await fetch(`${base}/oauth/callback`, { redirect: "manual" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid_argument", message: "state: missing" });
    const bug = await fetch(`${base}/oauth/callback?state=bug`, { redirect: "manual" });
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({ error: "internal", message: "internal error" });
  });

  it("answers 404 JSON for unknown paths and 405 with Allow for a wrong method", async () => {
    const missing = await fetch(`${base}/nothing/here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not_found" });
    const wrong = await fetch(`${base}/oauth/callback`, { method: "POST", body: "" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
  });

  it("never answers 500 to malformed requests", async () => {
    expect(await rawRequest(server.port, "NONSENSE\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawRequest(server.port, "GET /webhooks/%E0%A4%A/x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")).toMatch(/^HTTP\/1\.1 405|^HTTP\/1\.1 404/);
    const huge = `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`;
    expect(await rawRequest(server.port, huge)).toMatch(/^HTTP\/1\.1 431/);
  });

  it("logs the route pattern, never the query string", async () => {
    await fetch(`${base}/oauth/callback?state=s1&code=auth-code-secret-123`, { redirect: "manual" });
    const text = logs.text();
    expect(text).not.toContain("auth-code-secret-123");
    expect(logs.lines().some((l) => l.msg === "http" && l.route === "/oauth/callback")).toBe(true);
  });
});

describe("public HTTP drain", () => {
  it("lets an in-flight request finish, then stops", async () => {
    const server = await startPublicServer({ routes, host: "127.0.0.1", port: 0, logger: captureLogs().logger });
    const base = `http://127.0.0.1:${server.port}`;
    const slow = fetch(`${base}/oauth/callback?state=slow`, { redirect: "manual" });
    await sleep(50);
    const started = Date.now();
    await server.drain(2000);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await slow).status).toBe(303);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
