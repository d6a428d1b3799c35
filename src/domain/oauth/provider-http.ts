/**
 * One HTTP exchange with a provider, through the injected fetch, bounded by a timeout.
 * Network failures become `ProviderUnreachable` (an Unavailable): `inDoubt` says the request may
 * have reached the provider (a timeout or a reset after sending), which matters for refreshes:
 * a rotating provider may already have spent the refresh token, so the caller must not retry blindly.
 */
import { Unavailable } from "../errors.js";

export type Fetch = typeof globalThis.fetch;

export interface ProviderRequest {
  url: string;
  method: "GET" | "POST" | "DELETE";
  headers: Record<string, string>;
  body?: string;
}

export interface ProviderResponse {
  status: number;
  contentType: string;
  /** Parsed JSON or form body; undefined when the body is neither. */
  body: Record<string, unknown> | undefined;
}

export class ProviderUnreachable extends Unavailable {
  constructor(
    provider: string,
    readonly inDoubt: boolean,
    options: { cause?: unknown; detail: string },
  ) {
    super(provider, options);
  }
}

export interface HttpDeps {
  fetch: Fetch;
  timeoutMs: number;
}

function parseBody(text: string, contentType: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (contentType.includes("json") || trimmed.startsWith("{")) {
    try {
      const v: unknown = JSON.parse(trimmed);
      return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  // GitHub answers form-encoded token responses unless asked for JSON.
  if (contentType.includes("application/x-www-form-urlencoded") || /^[\w.-]+=[^\s]*$/.test(trimmed)) {
    return Object.fromEntries(new URLSearchParams(trimmed));
  }
  return undefined;
}

export async function send(provider: string, req: ProviderRequest, deps: HttpDeps): Promise<ProviderResponse> {
  let res: Response;
  try {
    res = await deps.fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "manual",
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
  } catch (err) {
    const name = (err as { name?: string }).name;
    const timedOut = name === "TimeoutError" || name === "AbortError";
    // A refused connection never reached the provider; anything else might have.
    const code = (err as { cause?: { code?: string } }).cause?.code;
    const inDoubt = !(code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN");
    throw new ProviderUnreachable(provider, inDoubt, { cause: err, detail: timedOut ? "timeout" : "network error" });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new ProviderUnreachable(provider, true, { cause: err, detail: "response interrupted" });
  }
  const contentType = res.headers.get("content-type") ?? "";
  return { status: res.status, contentType, body: parseBody(text, contentType) };
}
