/**
 * The redirect_uri allow-list (no open redirects). An entry is either an exact URL, or a prefix:
 * an origin alone ("https://app.example.com") admits any path on that origin, an entry ending in
 * "/" admits paths under it. Comparison is on parsed URLs, so "https://app.example.com.evil.com"
 * never matches "https://app.example.com".
 */
function parse(raw: string): URL | undefined {
  try {
    const u = new URL(raw);
    if (u.protocol !== "https:" && u.protocol !== "http:") return undefined;
    if (u.username || u.password || u.hash) return undefined;
    return u;
  } catch {
    return undefined;
  }
}

export function isRedirectAllowed(redirectUri: string, allowlist: readonly string[]): boolean {
  const target = parse(redirectUri);
  if (!target) return false;
  return allowlist.some((entry) => {
    const allowed = parse(entry);
    if (!allowed || allowed.origin !== target.origin) return false;
    const originOnly = /^[a-z]+:\/\/[^/]+\/?$/i.test(entry.trim());
    if (originOnly) return true;
    if (entry.endsWith("/")) return target.pathname.startsWith(allowed.pathname);
    return target.href === allowed.href;
  });
}

/** Appends query parameters to the caller's redirect URI, keeping its own. */
export function withParams(redirectUri: string, params: Record<string, string>): string {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
