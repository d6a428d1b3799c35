/**
 * Reads a request body as raw bytes with a size limit. Webhook signatures are over the exact bytes
 * sent, so nothing here decodes or re-serialises. Too large → ResourceExhausted (413 on the shim),
 * checked against Content-Length first so an oversized upload is refused before it is read.
 */
import type { IncomingMessage } from "node:http";
import { InvalidArgument, ResourceExhausted } from "../../domain/errors.js";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export async function readBody(req: IncomingMessage, limitBytes = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limitBytes) {
    req.resume(); // discard, so the connection can answer 413 and stay usable
    throw new ResourceExhausted(`body exceeds ${limitBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > limitBytes) {
        req.resume();
        throw new ResourceExhausted(`body exceeds ${limitBytes} bytes`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof ResourceExhausted) throw err;
    throw new InvalidArgument("body", "request body could not be read");
  }
  return Buffer.concat(chunks, size);
}

/** Reads and parses a JSON body; malformed JSON → InvalidArgument("body"). */
export async function readJson(req: IncomingMessage, limitBytes = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const raw = await readBody(req, limitBytes);
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new InvalidArgument("body", "is not valid JSON");
  }
}
