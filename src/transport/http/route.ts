/**
 * The contract between the HTTP servers and the handlers mounted on them (OAuth callback,
 * webhook ingress, metrics...). Handlers get raw Node objects so they can read the body bytes
 * exactly as sent (signatures are over raw bytes).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export type RouteParams = Record<string, string>;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: RouteParams) => Promise<void>;

export interface Route {
  method: "GET" | "POST" | "HEAD";
  /** Literal segments and `:name` parameters, e.g. `/webhooks/:provider/:webhookId`. */
  path: string;
  handler: RouteHandler;
}
