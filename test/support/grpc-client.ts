/** A generic grpc-js client built from a protobuf-es descriptor, and helpers to call it. */
import { create, fromBinary, toBinary, type DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/** A grpc-js client for any protobuf-es service descriptor; methods keyed by localName. */
export function grpcClient(service: DescService, address: string, creds = grpc.credentials.createInsecure(), options?: grpc.ClientOptions) {
  const def: grpc.ServiceDefinition = {};
  for (const m of service.methods) {
    (def as Record<string, grpc.MethodDefinition<unknown, unknown>>)[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: m.methodKind === "server_streaming",
      requestSerialize: (msg: unknown) => Buffer.from(toBinary(m.input, create(m.input, msg as never))),
      requestDeserialize: (b: Buffer) => fromBinary(m.input, b),
      responseSerialize: (msg: unknown) => Buffer.from(toBinary(m.output, create(m.output, msg as never))),
      responseDeserialize: (b: Buffer) => fromBinary(m.output, b),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(def, service.name);
  return new Ctor(address, creds, options) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
}

export function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

/** Calls a unary method; resolves with { err, res, trailers }. */
export function unary(
  client: grpc.Client & Record<string, (...args: unknown[]) => unknown>,
  method: string,
  req: object,
  md = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<{ err: grpc.ServiceError | null; res: any; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = client[method]!(req, md, options, (err: grpc.ServiceError | null, res: unknown) => {
      setImmediate(() => resolve({ err, res, trailers: trailers ?? err?.metadata }));
    }) as grpc.ClientUnaryCall;
    call.on("status", (s: grpc.StatusObject) => (trailers = s.metadata));
  });
}
