/**
 * The Vault transit look-alike from the test suite (test/support/vault-transit-server.ts), in its
 * own process so its AES-GCM work is not charged to Latchkey's event loop.
 * Prints {"ready": {"addr", "token"}}.
 */
import { startTransitServer } from "../../test/support/vault-transit-server.js";
import { announceReady } from "../lib/child.js";

const server = await startTransitServer();
announceReady({ addr: server.addr, token: server.rootToken }, () => server.stop());
