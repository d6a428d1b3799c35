/**
 * A small grpc-js client typed by the generated descriptors, for seeding data through Latchkey's own
 * API and for consuming StreamEvents. (Load generators use prebuilt bytes instead: bench/load/.)
 */
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ClientReadableStream } from "@grpc/grpc-js";

export interface RpcClient {
  unary<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, init: MessageInitShape<I>): Promise<MessageShape<O>>;
  /** Opens a server stream; `onMessage` sees each message. Returns the stream to cancel it. */
  stream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    init: MessageInitShape<I>,
    onMessage: (m: MessageShape<O>) => void,
  ): ClientReadableStream<MessageShape<O>>;
  close(): void;
}

const path = (m: { parent: { typeName: string }; name: string }) => `/${m.parent.typeName}/${m.name}`;

export function createRpcClient(target: string, bearer: string): RpcClient {
  const client = new Client(target, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  const md = () => {
    const m = new Metadata();
    m.set("authorization", `Bearer ${bearer}`);
    return m;
  };
  return {
    unary(method, init) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          path(method),
          (msg: MessageShape<typeof method.input>) => Buffer.from(toBinary(method.input, msg)),
          (buf: Buffer) => fromBinary(method.output, buf),
          create(method.input, init),
          md(),
          { deadline: Date.now() + 60_000 },
          (err, res) => (err ? reject(err) : resolve(res!)),
        );
      });
    },
    stream(method, init, onMessage) {
      const call = client.makeServerStreamRequest(
        path(method),
        (msg: MessageShape<typeof method.input>) => Buffer.from(toBinary(method.input, msg)),
        (buf: Buffer) => fromBinary(method.output, buf),
        create(method.input, init),
        md(),
      );
      call.on("data", onMessage);
      // Cancelling is how the consumer leaves; the resulting error is expected.
      call.on("error", () => {});
      return call;
    },
    close: () => client.close(),
  };
}

/** One call with raw bytes both ways: the exact response size, whatever generator the load uses. */
export function rawUnary(target: string, path: string, request: Buffer, bearer: string): Promise<Buffer> {
  const client = new Client(target, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  const md = new Metadata();
  md.set("authorization", `Bearer ${bearer}`);
  const id = (b: Buffer) => b;
  return new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest(path, id, id, request, md, { deadline: Date.now() + 30_000 }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res!);
    }),
  );
}
