/**
 * Reads a request body as raw bytes under a hard limit: the one body reader of the HTTP shim.
 * Webhook signatures are over the exact bytes sent, so nothing here decodes or re-serialises.
 * It stops reading the moment the limit is passed: a Content-Length over the limit is refused
 * before a byte is read, and a chunked body is cut off at limit+1 bytes. The caller answers 413
 * with `connection: close` (see `closeAfterResponse`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidArgument, ResourceExhausted } from "../../domain/errors.js";

export class BodyTooLarge extends ResourceExhausted {
  constructor(limitBytes: number) {
    super(`body exceeds ${limitBytes} bytes`);
  }
}

export function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > limitBytes)) {
    return Promise.reject(/^\d+$/.test(declared) ? new BodyTooLarge(limitBytes) : new InvalidArgument("body", "bad content-length"));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.pause();
        reject(new BodyTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = () => {
      cleanup();
      reject(new InvalidArgument("body", "request body could not be read"));
    };
    const onAborted = onError;
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}

/**
 * Marks the response as the last on its connection and closes the socket once it is sent, with a
 * short linger so the client can read the answer before the rest of its upload is refused
 * (closing at once can turn into a TCP reset that swallows the 413).
 */
export function closeAfterResponse(req: IncomingMessage, res: ServerResponse, lingerMs = 1000): void {
  res.setHeader("connection", "close");
  res.once("finish", () => {
    const socket = req.socket;
    socket.end();
    // While lingering, discard (never buffer) what the client still sends.
    req.removeAllListeners("data");
    req.on("data", () => {});
    req.resume();
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  });
}
