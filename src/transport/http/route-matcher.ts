/**
 * Matches `Route`s (src/transport/http/route.ts) by method and path, with `:name` segments as
 * parameters. Routes are compiled once; matching splits the path and compares segments, so it
 * never builds regular expressions per request. Shared by the public and internal HTTP servers.
 */
import type { Route, RouteHandler, RouteParams } from "./route.js";

interface Compiled {
  method: Route["method"];
  path: string;
  segments: Array<{ literal: string } | { param: string }>;
  handler: RouteHandler;
}

export type Match =
  /** `route` is the matched pattern (e.g. `/webhooks/:provider/:webhookId`): safe to log, unlike the URL. */
  | { kind: "found"; handler: RouteHandler; params: RouteParams; route: string }
  /** The path exists but not for this method: answer 405 with `allow`. */
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "not_found" };

export interface RouteMatcher {
  match(method: string | undefined, rawUrl: string | undefined): Match;
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

export function compileRoutes(routes: readonly Route[]): RouteMatcher {
  const compiled: Compiled[] = routes.map((r) => ({
    method: r.method,
    path: r.path,
    handler: r.handler,
    segments: split(r.path).map((s) => (s.startsWith(":") ? { param: s.slice(1) } : { literal: s })),
  }));

  function matchPath(c: Compiled, parts: string[]): RouteParams | undefined {
    if (c.segments.length !== parts.length) return undefined;
    const params: RouteParams = {};
    for (let i = 0; i < parts.length; i++) {
      const seg = c.segments[i]!;
      const part = parts[i]!;
      if ("literal" in seg) {
        if (seg.literal !== part) return undefined;
      } else {
        let value: string;
        try {
          value = decodeURIComponent(part);
        } catch {
          return undefined; // malformed percent-encoding: no route, never a 500
        }
        params[seg.param] = value;
      }
    }
    return params;
  }

  return {
    match(method, rawUrl) {
      const url = rawUrl ?? "/";
      const q = url.indexOf("?");
      const parts = split(q === -1 ? url : url.slice(0, q));
      const allow: string[] = [];
      for (const c of compiled) {
        const params = matchPath(c, parts);
        if (!params) continue;
        // HEAD is answered by GET routes too, as HTTP expects.
        if (c.method === method || (method === "HEAD" && c.method === "GET")) return { kind: "found", handler: c.handler, params, route: c.path };
        allow.push(c.method);
      }
      return allow.length > 0 ? { kind: "method_not_allowed", allow } : { kind: "not_found" };
    },
  };
}
