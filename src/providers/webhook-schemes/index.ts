/**
 * Every signature scheme by the name provider data uses (`webhook: { scheme: "github" }`).
 * Unknown names resolve to undefined: callers fail closed.
 */
import { discord } from "./discord.js";
import { github } from "./github.js";
import { linear } from "./linear.js";
import { slack } from "./slack.js";
import { standardWebhooks } from "./standard-webhooks.js";
import { stripe } from "./stripe.js";
import type { WebhookScheme } from "./types.js";

export type { HandshakeResponse, HeaderBag, VerifyFailureReason, VerifyInput, VerifyResult, WebhookScheme } from "./types.js";

const SCHEMES: ReadonlyMap<string, WebhookScheme> = new Map(
  [github, slack, stripe, discord, standardWebhooks, linear].map((s) => [s.name, s]),
);

export function webhookScheme(name: string): WebhookScheme | undefined {
  return SCHEMES.get(name);
}

export function webhookSchemeNames(): string[] {
  return [...SCHEMES.keys()];
}
