/**
 * grpc/health/v1/health.proto as a FileDescriptorProto, for reflection. The descriptor that
 * proto-loader derives for grpc-health-check is lossy (its map field points at a missing entry
 * type), so reflection clients such as `buf curl` reject it; this is the upstream file, field for
 * field (same names, numbers and types), written as data.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

const health = create(FileDescriptorProtoSchema, {
  name: "grpc/health/v1/health.proto",
  package: "grpc.health.v1",
  syntax: "proto3",
  messageType: [
    { name: "HealthListRequest" },
    {
      name: "HealthListResponse",
      field: [
        { name: "statuses", number: 1, label: Label.REPEATED, type: Type.MESSAGE, typeName: ".grpc.health.v1.HealthListResponse.StatusesEntry", jsonName: "statuses" },
      ],
      nestedType: [
        {
          name: "StatusesEntry",
          options: { mapEntry: true },
          field: [
            { name: "key", number: 1, label: Label.OPTIONAL, type: Type.STRING, jsonName: "key" },
            { name: "value", number: 2, label: Label.OPTIONAL, type: Type.MESSAGE, typeName: ".grpc.health.v1.HealthCheckResponse", jsonName: "value" },
          ],
        },
      ],
    },
    {
      name: "HealthCheckRequest",
      field: [{ name: "service", number: 1, label: Label.OPTIONAL, type: Type.STRING, jsonName: "service" }],
    },
    {
      name: "HealthCheckResponse",
      field: [
        { name: "status", number: 1, label: Label.OPTIONAL, type: Type.ENUM, typeName: ".grpc.health.v1.HealthCheckResponse.ServingStatus", jsonName: "status" },
      ],
      enumType: [
        {
          name: "ServingStatus",
          value: [
            { name: "UNKNOWN", number: 0 },
            { name: "SERVING", number: 1 },
            { name: "NOT_SERVING", number: 2 },
            { name: "SERVICE_UNKNOWN", number: 3 },
          ],
        },
      ],
    },
  ],
  service: [
    {
      name: "Health",
      method: [
        { name: "Check", inputType: ".grpc.health.v1.HealthCheckRequest", outputType: ".grpc.health.v1.HealthCheckResponse" },
        { name: "Watch", inputType: ".grpc.health.v1.HealthCheckRequest", outputType: ".grpc.health.v1.HealthCheckResponse", serverStreaming: true },
        { name: "List", inputType: ".grpc.health.v1.HealthListRequest", outputType: ".grpc.health.v1.HealthListResponse" },
      ],
    },
  ],
});

export const HEALTH_FILE_DESCRIPTOR: Buffer = Buffer.from(toBinary(FileDescriptorProtoSchema, health));
