/**
 * A stream read asked for a page of up to 1,000 events; the server loaded all of them from storage
 * and only then cut the page at 4 MB, so a shard of 1 MB events cost up to 1 GB of memory per read.
 * Storage must stop handing back event bodies once the page's byte cap is reached.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { MAX_PAGE_BYTES } from "../../server/stream/read-stream.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

/** A value close to the 1 MB dataset quota: each push of it appends an event of about this size. */
const VALUE = "x".repeat(900_000);
const PUSHES = 7; // about 6.3 MB of events: more than one page's byte cap

describe("reading a shard of large events", () => {
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startInProcessServer({
      config: {
        adminToken: ADMIN_TOKEN,
        // One shard, so every event is in the page read below; a byte budget that lets the pushes through.
        pools: [poolSettingsSchema.parse({ id: "default", stream: { shards: 1 }, rateLimits: { pushBytes: { burst: 10_000_000, perSecond: 1_000_000 } } })],
      },
    });
    const { token } = await server.signInGuest();
    const sync = syncApi(server, token);
    for (let push = 0; push < PUSHES; push++) await sync.push({ dataset: "big", patches: [{ op: "REPLACE", key: "k", value: `${push}${VALUE}` }] });
  });
  afterAll(async () => server?.close());

  it("loads no more event bodies from storage than one page holds", async () => {
    const read = vi.spyOn(server.storage.stream, "readStreamEvents");
    const page = await streamApi(server).records("default", 0, { iterator: { type: "TRIM_HORIZON" } }, 1000);
    const loadedBytes = (await Promise.all(read.mock.results.map((result) => result.value as Promise<Array<{ data: string }>>)))
      .flat()
      .reduce((sum, row) => sum + row.data.length, 0);
    read.mockRestore();

    expect(page.records.length).toBeGreaterThan(0);
    expect(page.records.length).toBeLessThan(PUSHES);
    expect(loadedBytes).toBeLessThanOrEqual(MAX_PAGE_BYTES);
  });

  it("still reads every event, page by page, in order", async () => {
    const records = await streamApi(server).readShard("default", 0);
    expect(records.map((record) => Number(record.sequenceNumber))).toEqual(Array.from({ length: PUSHES }, (_, index) => index + 1));
  });
});
