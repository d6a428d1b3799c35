/**
 * grpc.health.v1 on the gRPC port (grpc-health-check): the overall status ("") and one per served
 * service. Open to every client, no token: load balancers and `grpc_health_probe` must reach it.
 * On drain everything turns NOT_SERVING, Watch streams get that update and are then ended, so they
 * do not hold the graceful shutdown open until the force timeout.
 */
import type { Server, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { HEALTH_FILE_DESCRIPTOR } from "./health-descriptor.js";

export const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";

export interface GrpcHealth {
  /** Sets one service's status ("" is the server as a whole). */
  setStatus(service: string, serving: boolean): void;
  /** Every service NOT_SERVING, then ends open Watch streams. */
  drain(): void;
  addToServer(server: Server): void;
  /** The health proto's file descriptors, for reflection. */
  fileDescriptorProtos: readonly Buffer[];
}

export function createGrpcHealth(serviceNames: readonly string[]): GrpcHealth {
  const names = ["", ...serviceNames];
  const impl = new HealthImplementation(Object.fromEntries(names.map((n) => [n, "SERVING" as const])));
  const watches = new Set<ServerWritableStream<unknown, unknown>>();

  return {
    setStatus(service, serving) {
      impl.setStatus(service, serving ? "SERVING" : "NOT_SERVING");
    },
    drain() {
      for (const n of names) impl.setStatus(n, "NOT_SERVING");
      // setStatus writes the update synchronously; ending after it lets watchers see NOT_SERVING.
      for (const call of watches) call.end();
      watches.clear();
    },
    addToServer(server) {
      // Register through a thin proxy that tracks Watch calls; everything else is the library's.
      impl.addToServer({
        addService(def: ServiceDefinition, handlers: UntypedServiceImplementation) {
          const watch = handlers.watch ?? handlers.Watch;
          const key = handlers.watch ? "watch" : "Watch";
          if (typeof watch === "function") {
            handlers = {
              ...handlers,
              [key]: (call: ServerWritableStream<unknown, unknown>) => {
                watches.add(call);
                call.once("cancelled", () => watches.delete(call));
                call.once("finish", () => watches.delete(call));
                (watch as (c: typeof call) => void)(call);
              },
            };
          }
          server.addService(def, handlers);
        },
      } as unknown as Server);
    },
    fileDescriptorProtos: [HEALTH_FILE_DESCRIPTOR],
  };
}
