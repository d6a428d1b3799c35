/**
 * Code hooks: the one typed interface for what provider data cannot say. Every built-in provider
 * is currently expressible as data, so the table is empty; a hook belongs here only after the
 * schema has been shown unable to carry the quirk. Custom providers never get hooks.
 */
export interface UsernameHookInput {
  /** The token endpoint's answer (already parsed; holds secrets — never log it). */
  tokenResponse: Record<string, unknown>;
  accessToken: string;
  fetch: typeof globalThis.fetch;
  signal: AbortSignal;
}

export interface ProviderHooks {
  /** Reads the account name when neither the token answer nor one userinfo call can. */
  username?(input: UsernameHookInput): Promise<string | undefined>;
}

export const BUILT_IN_HOOKS: Readonly<Record<string, ProviderHooks>> = {};
