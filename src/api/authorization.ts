/**
 * Which role may call which RPC: one table, checked by both transports before the handler runs.
 * executor: fetch tokens and read credentials; backend: every user-scoped RPC; consumer: read the
 * event stream (it spans users); operator: everything. ListProviders is open to every role.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import type { Role } from "./types.js";

const EXECUTOR = new Set(["latchkey.v1.CredentialsService/GetAccessToken", "latchkey.v1.CredentialsService/GetCredential"]);
const CONSUMER = new Set(["latchkey.v1.WebhooksService/StreamEvents", "latchkey.v1.WebhooksService/AckEvents"]);
const OPEN = new Set(["latchkey.v1.CredentialsService/ListProviders"]);

export function methodName(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

export function roleMayCall(role: Role, method: DescMethod): boolean {
  const name = methodName(method);
  if (role === "operator" || OPEN.has(name)) return true;
  switch (role) {
    case "executor":
      return EXECUTOR.has(name);
    case "consumer":
      return CONSUMER.has(name);
    case "backend":
      return !CONSUMER.has(name);
  }
}
