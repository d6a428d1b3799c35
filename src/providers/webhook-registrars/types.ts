/**
 * Registering a hook at the provider, for providers whose API allows it (provider data names the
 * registrar: `webhook: { scheme: "github", registrar: "github-repo" }`). Errors are domain errors:
 * Unavailable(provider) when it cannot be reached, PermissionDenied/FailedPrecondition/AlreadyExists
 * for refusals the caller can act on.
 */
export interface HookTarget {
  accessToken: string;
  /** Provider-specific target, e.g. "owner/repo". */
  resource: string;
}

export interface RegisterHookInput extends HookTarget {
  /** Latchkey's ingress URL for this webhook. */
  url: string;
  /** The signing secret Latchkey generated. */
  secret: string;
  events: string[];
}

export interface WebhookRegistrar {
  readonly name: string;
  /** Why `resource` cannot name a target of this registrar, or undefined when it can. */
  checkResource(resource: string): string | undefined;
  register(input: RegisterHookInput): Promise<{ providerWebhookId: string }>;
  /** Asks the provider to send a test delivery. */
  ping(input: HookTarget & { providerWebhookId: string }): Promise<void>;
  /** Replaces the secret the provider signs with (secret rotation). */
  updateSecret(input: HookTarget & { providerWebhookId: string; url: string; secret: string }): Promise<void>;
  /** Removes the hook; true also when the provider no longer had it (a 404 counts as done). */
  deregister(input: HookTarget & { providerWebhookId: string }): Promise<boolean>;
}
