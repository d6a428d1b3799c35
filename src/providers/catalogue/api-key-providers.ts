/**
 * Built-in providers that authenticate with an API key only. They need no client credentials,
 * so they always count as configured.
 */
import type { ProviderDefinitionInput } from "../schema.js";

type Extra = Pick<ProviderDefinitionInput, "docs_url" | "notes" | "webhook">;

function apiKey(name: string, display_name: string, category: string, extra: Extra = {}): ProviderDefinitionInput {
  return { name, display_name, category, auth_types: ["api_key"], ...extra };
}

export const API_KEY_PROVIDERS: ProviderDefinitionInput[] = [
  apiKey("openai", "OpenAI", "ai"),
  apiKey("anthropic", "Anthropic", "ai"),
  apiKey("groq", "Groq", "ai"),
  apiKey("replicate", "Replicate", "ai", {
    notes: ["Webhooks are signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature)."],
    webhook: { scheme: "standard-webhooks" },
  }),
  apiKey("ollama", "Ollama", "ai", { notes: ["Self-hosted servers usually need no key; store one when a proxy requires it."] }),
  apiKey("nvidia", "NVIDIA", "ai"),
  apiKey("aiml_api", "AI/ML API", "ai"),
  apiKey("llama_api", "Llama API", "ai"),
  apiKey("open_router", "OpenRouter", "ai"),
  apiKey("mem0", "Mem0", "ai"),
  apiKey("jina", "Jina AI", "ai"),
  apiKey("e2b", "E2B", "developer-tools"),
  apiKey("v0", "v0 by Vercel", "developer-tools"),
  apiKey("pinecone", "Pinecone", "database"),
  apiKey("d_id", "D-ID", "media"),
  apiKey("ideogram", "Ideogram", "media"),
  apiKey("fal", "fal", "media"),
  apiKey("unreal_speech", "Unreal Speech", "media"),
  apiKey("revid", "Revid", "media"),
  apiKey("screenshotone", "ScreenshotOne", "utility"),
  apiKey("http", "Generic HTTP", "utility", { notes: ["Any bearer or header key for an HTTP API Latchkey has no entry for."] }),
  apiKey("smtp", "SMTP", "communication", { notes: ["Stores the SMTP password as the key."] }),
  apiKey("medium", "Medium", "social", { notes: ["Medium no longer issues OAuth apps; use an integration token."] }),
  apiKey("google_maps", "Google Maps", "maps"),
  apiKey("openweathermap", "OpenWeatherMap", "weather"),
  apiKey("smartlead", "Smartlead", "sales"),
  apiKey("zerobounce", "ZeroBounce", "sales"),
  apiKey("apollo", "Apollo", "sales"),
  apiKey("enrichlayer", "Enrich Layer", "data"),
  apiKey("compass", "Compass", "productivity"),
  apiKey("slant3d", "Slant 3D", "hardware"),
  apiKey("stripe", "Stripe", "payments", {
    notes: ["Use a restricted key; webhook endpoints are signed with Stripe-Signature."],
    webhook: { scheme: "stripe" },
  }),
];
