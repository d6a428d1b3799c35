/**
 * Baseline: the barest grpc-js unary server, serving GetAccessToken's method path. It decodes the
 * request and answers a prebuilt GetAccessTokenResponse of the size Latchkey sends, and does
 * nothing else: no auth, no logging, no database. Whatever Latchkey costs beyond this is ours.
 *
 * Prints {"ready": {"port": N}}. Env: ECHO_RESPONSE_BYTES_OF (credential id used to size the answer).
 */
import { Server, ServerCredentials, type ServiceDefinition, type handleUnaryCall } from "@grpc/grpc-js";
import { fromBinary } from "@bufbuild/protobuf";
import { GetAccessTokenRequestSchema } from "../../src/gen/latchkey/v1/credentials_pb.js";
import { announceReady } from "../lib/child.js";
import { GET_ACCESS_TOKEN_PATH, getAccessTokenResponse } from "../lib/fixtures.js";

const identity = (b: Buffer) => b;

const definition: ServiceDefinition = {
  GetAccessToken: {
    path: GET_ACCESS_TOKEN_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

const cache = new Map<string, Buffer>();

const getAccessToken: handleUnaryCall<Buffer, Buffer> = (call, callback) => {
  // Decode like a real handler would, then answer with a response of the real size.
  const req = fromBinary(GetAccessTokenRequestSchema, call.request);
  let res = cache.get(req.credentialId);
  if (!res) cache.set(req.credentialId, (res = getAccessTokenResponse(req.credentialId)));
  callback(null, res);
};

const server = new Server();
server.addService(definition, { GetAccessToken: getAccessToken });
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  announceReady({ port }, () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
});
