/**
 * Shapes shared by the baselines and the Latchkey scenarios, so both sides move the same bytes:
 * the echo server answers with a GetAccessTokenResponse of exactly the size Latchkey sends for the
 * seeded API key.
 */
import { createHash, randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetAccessTokenRequestSchema, GetAccessTokenResponseSchema } from "../../src/gen/latchkey/v1/credentials_pb.js";

export const GET_ACCESS_TOKEN_PATH = "/latchkey.v1.CredentialsService/GetAccessToken";
export const LIST_CREDENTIALS_PATH = "/latchkey.v1.CredentialsService/ListCredentials";

/** A provider with API keys in the built-in catalogue. */
export const API_KEY_PROVIDER = "openai";
export const BENCH_USER = "bench-user-0001";
/** Length of the API keys the scenarios store (typical provider key length). */
export const API_KEY_LENGTH = 51;

export function benchApiKey(): string {
  return ("sk-bench-" + randomBytes(48).toString("hex")).slice(0, API_KEY_LENGTH);
}

export function getAccessTokenRequest(userId: string, credentialId: string): Buffer {
  return Buffer.from(toBinary(GetAccessTokenRequestSchema, create(GetAccessTokenRequestSchema, { userId, credentialId })));
}

/** What Latchkey answers for an API-key credential (no expiry, no scopes). */
export function getAccessTokenResponse(credentialId: string, accessToken = "x".repeat(API_KEY_LENGTH)): Buffer {
  return Buffer.from(
    toBinary(
      GetAccessTokenResponseSchema,
      create(GetAccessTokenResponseSchema, { accessToken, tokenType: "ApiKey", provider: API_KEY_PROVIDER, credentialId }),
    ),
  );
}

export interface BenchCallers {
  operatorToken: string;
  executorToken: string;
  consumerToken: string;
  /** LATCHKEY_CALLERS for the server (hashes only). */
  env: string;
}

export function benchCallers(): BenchCallers {
  const operatorToken = `lk_bench_op_${randomBytes(16).toString("hex")}`;
  const executorToken = `lk_bench_ex_${randomBytes(16).toString("hex")}`;
  const consumerToken = `lk_bench_co_${randomBytes(16).toString("hex")}`;
  const sha = (t: string) => createHash("sha256").update(t).digest("hex");
  return {
    operatorToken,
    executorToken,
    consumerToken,
    env: JSON.stringify([
      { name: "bench-operator", role: "operator", token_sha256: sha(operatorToken) },
      { name: "bench-executor", role: "executor", token_sha256: sha(executorToken) },
      { name: "bench-consumer", role: "consumer", token_sha256: sha(consumerToken) },
    ]),
  };
}
