/** One caller per role with a known bearer token, for tests that authenticate like real callers. */
import { hashToken, type CallerConfig } from "../../src/auth/callers.js";

export const TOKENS = {
  operator: "op-token-0123456789",
  executor: "exec-token-0123456789",
  backend: "backend-token-0123456789",
  consumer: "consumer-token-0123456789",
} as const;

export const CALLERS: CallerConfig[] = Object.entries(TOKENS).map(([role, token]) => ({
  name: `${role}-svc`,
  role: role as CallerConfig["role"],
  token_sha256: hashToken(token),
}));
