import { describe, expect, it } from "vitest";
import type { RouteHandler } from "./route.js";
import { compileRoutes } from "./route-matcher.js";

const h: RouteHandler = async () => undefined;
const matcher = compileRoutes([
  { method: "POST", path: "/webhooks/:provider/:webhookId", handler: h },
  { method: "GET", path: "/oauth/callback", handler: h },
]);

describe("route matcher", () => {
  it("matches literal and :param segments, decoding parameters and ignoring the query", () => {
    expect(matcher.match("POST", "/webhooks/github/a%20b?x=1")).toMatchObject({ kind: "found", params: { provider: "github", webhookId: "a b" }, route: "/webhooks/:provider/:webhookId" });
    expect(matcher.match("GET", "/oauth/callback?code=c&state=s")).toMatchObject({ kind: "found", params: {} });
  });

  it("answers HEAD with GET routes", () => {
    expect(matcher.match("HEAD", "/oauth/callback")).toMatchObject({ kind: "found" });
  });

  it("tells a wrong method from an unknown path", () => {
    expect(matcher.match("GET", "/webhooks/github/x")).toEqual({ kind: "method_not_allowed", allow: ["POST"] });
    expect(matcher.match("GET", "/webhooks/github")).toEqual({ kind: "not_found" });
    expect(matcher.match("GET", "/webhooks/github/x/extra")).toEqual({ kind: "not_found" });
  });

  it("treats malformed percent-encoding as no route rather than throwing", () => {
    expect(matcher.match("POST", "/webhooks/%E0%A4%A/x")).toEqual({ kind: "not_found" });
    expect(matcher.match(undefined, undefined)).toEqual({ kind: "not_found" });
  });
});
