/**
 * Plays the user's browser against oidc-provider's dev interactions: follows redirects with a
 * cookie jar, submits the login and consent forms, and stops at Latchkey's callback URL.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, i).trim(), pair!.slice(i + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** Returns the callback URL the provider redirected to (with code and state, or error). */
export async function driveAuthorization(
  authorizationUrl: string,
  callbackPrefix: string,
  opts: { login?: string; deny?: boolean } = {},
): Promise<URL> {
  const jar = new CookieJar();
  let url = authorizationUrl;
  let method: "GET" | "POST" = "GET";
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, {
      method,
      redirect: "manual",
      headers: { cookie: jar.header(), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      body,
    });
    jar.store(res);
    method = "GET";
    body = undefined;
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get("location")!, url).toString();
      await res.arrayBuffer();
      if (next.startsWith(callbackPrefix)) return new URL(next);
      url = next;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorization server answered ${res.status}: ${html.slice(0, 300)}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!prompt) throw new Error(`no interaction form at ${url}`);
    if (opts.deny) {
      url = `${url.replace(/\/$/, "")}/abort`;
      continue;
    }
    method = "POST";
    body = new URLSearchParams(prompt === "login" ? { prompt, login: opts.login ?? "alice", password: "x" } : { prompt }).toString();
  }
  throw new Error("too many redirects while authorizing");
}
