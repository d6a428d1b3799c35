/**
 * The internal Connect port reads a request body before the handler checks the token, so the body
 * must be bounded there: a small gzip request that inflates to 64 MiB is refused without the
 * process taking that memory.
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/harness.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
  await app?.db.drop();
});

describe("internal port request limits", () => {
  it("refuses an anonymous request that inflates past the message limit, without buffering it", async () => {
    const inflated = Buffer.concat([Buffer.from('{"user_id":"'), Buffer.alloc(64 * 1024 * 1024, 0x61), Buffer.from('"}')]);
    const body = gzipSync(inflated);
    expect(body.length).toBeLessThan(512 * 1024);
    const before = process.memoryUsage().rss;
    const res = await fetch(`${app.internalUrl}/latchkey.v1.WebhooksService/ListWebhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body,
    });
    const json = (await res.json()) as { code: string };
    expect(res.ok).toBe(false);
    expect(json.code).toBe("resource_exhausted");
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
  });
});
