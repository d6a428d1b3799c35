import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CredentialsService } from "../gen/latchkey/v1/credentials_pb.js";
import { WebhooksService } from "../gen/latchkey/v1/webhooks_pb.js";
import { InvalidArgument, PermissionDenied, Unauthenticated } from "../domain/errors.js";
import { createAuthenticator, hashToken, loadCallers, parseCallers, rolesAllowed } from "./callers.js";

const op = { name: "ops", role: "operator", token_sha256: hashToken("t-op") };
const exec = { name: "runner", role: "executor", token_sha256: hashToken("t-exec").toUpperCase() };
const method = (name: string) => CredentialsService.methods.find((m) => m.name === name)!;

describe("callers configuration", () => {
  it("reads callers from LATCHKEY_CALLERS JSON and lowercases the hashes", () => {
    const callers = loadCallers({ LATCHKEY_CALLERS: JSON.stringify([op, exec]) });
    expect(callers.map((c) => c.name)).toEqual(["ops", "runner"]);
    expect(callers[1]!.token_sha256).toBe(hashToken("t-exec"));
  });

  it("reads callers from a YAML file, also accepting a { callers: [...] } document", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "callers-"));
    const file = path.join(dir, "callers.yaml");
    writeFileSync(file, `callers:\n  - name: ops\n    role: operator\n    token_sha256: ${op.token_sha256}\n`);
    expect(loadCallers({ LATCHKEY_CALLERS_FILE: file })).toEqual([op]);
    rmSync(dir, { recursive: true });
  });

  it("has no callers when neither variable is set, and refuses both at once", () => {
    expect(loadCallers({})).toEqual([]);
    expect(() => loadCallers({ LATCHKEY_CALLERS: "[]", LATCHKEY_CALLERS_FILE: "/x" })).toThrow(InvalidArgument);
  });

  it("names the offending entry and field in validation errors", () => {
    expect(() => parseCallers([{ ...op, role: "admin" }], "LATCHKEY_CALLERS")).toThrow("LATCHKEY_CALLERS[0].role: must be one of");
    expect(() => parseCallers([{ ...op, token_sha256: "abc" }], "X")).toThrow("X[0].token_sha256");
    expect(() => parseCallers([op, { ...op, token_sha256: hashToken("other") }], "X")).toThrow('X[1].name: duplicate caller name "ops"');
    expect(() => parseCallers([op, { ...op, name: "ops2" }], "X")).toThrow("X[1].token_sha256: duplicate token");
    expect(() => parseCallers({}, "X")).toThrow(InvalidArgument);
    expect(() => loadCallers({ LATCHKEY_CALLERS: "{not json" })).toThrow("LATCHKEY_CALLERS: is not valid JSON");
    expect(() => loadCallers({ LATCHKEY_CALLERS_FILE: "/nonexistent/callers.yaml" })).toThrow("LATCHKEY_CALLERS_FILE: cannot read");
  });
});

describe("authenticator", () => {
  const auth = createAuthenticator(parseCallers([op, exec], "test"));

  it("resolves a configured bearer token to its caller, scheme case-insensitively", () => {
    expect(auth.authenticate("Bearer t-op")).toEqual({ name: "ops", role: "operator" });
    expect(auth.authenticate("bearer t-exec")).toEqual({ name: "runner", role: "executor" });
  });

  it("rejects missing, malformed and unknown tokens as Unauthenticated without echoing them", () => {
    for (const header of [undefined, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer wrong-token"]) {
      expect(() => auth.authenticate(header)).toThrow(Unauthenticated);
    }
    try {
      auth.authenticate("Bearer wrong-token");
    } catch (err) {
      expect((err as Error).message).not.toContain("wrong-token");
    }
  });

  it("authorizes by role through the shared table", () => {
    const runner = auth.authenticate("Bearer t-exec");
    expect(() => auth.authorize(runner, method("GetAccessToken"))).not.toThrow();
    expect(() => auth.authorize(runner, method("DeleteCredential"))).toThrow(PermissionDenied);
    expect(rolesAllowed(method("ListProviders"))).toEqual(new Set(["executor", "backend", "consumer", "operator"]));
    const stream = WebhooksService.methods.find((m) => m.name === "StreamEvents")!;
    expect(rolesAllowed(stream)).toEqual(new Set(["consumer", "operator"]));
  });
});
