/**
 * RFC 9562 UUIDv7: a 48-bit Unix-millisecond timestamp, the version and variant bits, then random
 * bits. Ids made this way sort by creation time, so inserting them touches the right-hand edge of
 * a B-tree instead of a random leaf page (each one a full-page image in the WAL after a
 * checkpoint): the webhook inbox's primary key stays append-only under load.
 */
import { randomUUID } from "node:crypto";

/**
 * Built on randomUUID, which draws from a cached entropy pool: a getrandom call per id (via
 * randomFillSync) was 12% of the ingress path's CPU. The first 12 hex digits become the timestamp
 * and the version digit becomes 7; the variant is randomUUID's own. 74 random bits remain.
 */
export function uuidv7(now: number = Date.now()): string {
  const r = randomUUID();
  const ts = now.toString(16).padStart(12, "0");
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${r.slice(15)}`;
}
