/** Random values for the authorization flow: 256-bit states and PKCE S256 verifier/challenge pairs. */
import { createHash, randomBytes } from "node:crypto";

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** RFC 7636 S256: BASE64URL(SHA256(ascii(verifier))). */
export function s256Challenge(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

/** States are looked up by hash so a database read never yields a usable state. */
export function hashState(state: string): string {
  return createHash("sha256").update(state, "utf8").digest("hex");
}
