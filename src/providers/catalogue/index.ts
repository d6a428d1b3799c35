/** Every built-in provider, OAuth first. The registry validates them all at startup. */
import type { ProviderDefinitionInput } from "../schema.js";
import { API_KEY_PROVIDERS } from "./api-key-providers.js";
import { OAUTH_PROVIDERS } from "./oauth-providers.js";

export const BUILT_IN_PROVIDERS: readonly ProviderDefinitionInput[] = [...OAUTH_PROVIDERS, ...API_KEY_PROVIDERS];
