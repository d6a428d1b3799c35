/**
 * Server reflection (grpc.reflection.v1 and v1alpha, via @grpc/reflection) fed from descriptors the
 * code already has: the protobuf-es file descriptors of the bound services and their imports, plus
 * the health and reflection protos, so `grpcurl`/`buf curl --reflect` list every service the port
 * serves and resolve every message without proto files. Open to every client, no token.
 */
import { toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server, ServiceDefinition } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import type { ServiceBinding } from "../../api/types.js";

export const REFLECTION_SERVICE_NAMES = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

/** The reflection protos' own descriptors, taken from the definitions the library registers. */
function reflectionProtos(): Buffer[] {
  const out: Buffer[] = [];
  new ReflectionService({}).addToServer({
    addService(def: ServiceDefinition) {
      const first = Object.values(def)[0] as unknown as { requestType: { fileDescriptorProtos: Buffer[] } };
      out.push(...first.requestType.fileDescriptorProtos);
    },
  } as unknown as Server);
  return out;
}

/** Each file once, imports included, in dependency order. */
function collectFiles(bindings: readonly ServiceBinding[]): DescFile[] {
  const seen = new Set<string>();
  const files: DescFile[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    f.dependencies.forEach(visit);
    files.push(f);
  };
  for (const b of bindings) visit(b.service.file);
  return files;
}

export function addReflection(server: Server, bindings: readonly ServiceBinding[], extraFileDescriptorProtos: readonly Buffer[]): void {
  const own = collectFiles(bindings).map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  // @grpc/reflection reads a proto-loader PackageDefinition: any entry's `fileDescriptorProtos`.
  const pkg = { all: { fileDescriptorProtos: [...own, ...extraFileDescriptorProtos, ...reflectionProtos()] } };
  const services = [...bindings.map((b) => b.service.typeName), "grpc.health.v1.Health", ...REFLECTION_SERVICE_NAMES];
  new ReflectionService(pkg as never, { services }).addToServer(server);
}
