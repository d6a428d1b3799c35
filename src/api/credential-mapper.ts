/** Credential metadata → proto Credential. Takes no ciphertexts: responses carry no secret. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CredentialKind, CredentialStatus } from "../gen/latchkey/v1/common_pb.js";
import { CredentialSchema, type Credential } from "../gen/latchkey/v1/credentials_pb.js";
import type { CredentialMeta } from "../domain/credentials/credential.js";

const KIND = { oauth2: CredentialKind.OAUTH2, api_key: CredentialKind.API_KEY } as const;
const STATUS = {
  active: CredentialStatus.ACTIVE,
  needs_reauth: CredentialStatus.NEEDS_REAUTH,
  revoked: CredentialStatus.REVOKED,
} as const;

export function toProtoCredential(row: CredentialMeta): Credential {
  const init: MessageInitShape<typeof CredentialSchema> = {
    id: row.id,
    userId: row.userId,
    provider: row.provider,
    kind: KIND[row.kind],
    title: row.title,
    scopes: row.scopes,
    username: row.username,
    status: STATUS[row.status],
    metadata: row.metadata,
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
    version: BigInt(row.version),
  };
  if (row.accessTokenExpiresAt) init.accessTokenExpiresAt = timestampFromDate(row.accessTokenExpiresAt);
  return create(CredentialSchema, init);
}
