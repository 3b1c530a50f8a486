/**
 * A free guest pushed a ~1 MB record over and over, within its 1 MB dataset quota: each push was
 * stored again as the remembered answer and as a stream event, growing the database ~90 MB/s.
 * Now pushed bytes come out of a per-identity budget, a remembered answer keeps keys and counts
 * only, and a pool's stream is trimmed by size as well as by age.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { GraphQLFailure, syncApi } from "../helpers/sync-api.js";

const LARGE = "v".repeat(900_000);

describe("the per-identity budget of pushed bytes", () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcessServer({
      config: { pools: [poolSettingsSchema.parse({ id: "default", rateLimits: { pushBytes: { burst: 2_000_000, perSecond: 1000 } } })] },
    });
  });
  afterAll(async () => server?.close());

  it("refuses a push beyond the budget with RATE_LIMITED and the time until it fits", async () => {
    const sync = syncApi(server, (await server.signInGuest()).token);
    await sync.push({ dataset: "big", patches: [{ op: "REPLACE", key: "k", value: `1${LARGE}` }] });
    await sync.push({ dataset: "big", patches: [{ op: "REPLACE", key: "k", value: `2${LARGE}` }] });
    const refused = await sync.push({ dataset: "big", patches: [{ op: "REPLACE", key: "k", value: `3${LARGE}` }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GraphQLFailure);
    expect((refused as GraphQLFailure).extensions).toMatchObject({ code: "RATE_LIMITED", limit: "pushBytes" });
    expect((refused as GraphQLFailure).extensions["retryAfterMs"]).toBeGreaterThan(0);
    // Nothing of the refused push was stored.
    expect((await sync.page("big")).datasetSyncCount).toBe(2);
  });

  it("counts each identity on its own", async () => {
    const other = syncApi(server, (await server.signInGuest()).token);
    expect((await other.push({ dataset: "big", patches: [{ op: "REPLACE", key: "k", value: LARGE }] })).datasetSyncCount).toBe(1);
  });
});

describe("remembered push answers", () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcessServer();
  });
  afterAll(async () => server?.close());

  it("keep keys and counts, not values, and still replay the first answer", async () => {
    const { identityId, token } = await server.signInGuest();
    const sync = syncApi(server, token);
    const input = { dataset: "notes", deviceId: "phone", mutationId: "m-large", patches: [{ op: "REPLACE" as const, key: "k", value: LARGE }, { op: "REPLACE" as const, key: "small", value: "s" }] };
    const first = await sync.push(input);

    const remembered = await server.storage.datasets.writeDataset(identityId, "notes", (tx) => tx.getMutation("phone", "m-large"));
    expect(remembered!.length).toBeLessThan(200);

    const replay = await sync.push(input);
    expect(replay).toEqual({ ...first, replayed: true });
  });

  it("leave out of a replay the records changed since, which the next pull delivers", async () => {
    const sync = syncApi(server, (await server.signInGuest()).token);
    const input = { dataset: "notes", deviceId: "phone", mutationId: "m-1", patches: [{ op: "REPLACE" as const, key: "a", value: "1" }, { op: "REPLACE" as const, key: "b", value: "1" }] };
    await sync.push(input);
    await sync.push({ dataset: "notes", deviceId: "laptop", mutationId: "m-2", patches: [{ op: "REPLACE", key: "b", value: "2" }] });

    const replay = await sync.push(input);
    expect(replay).toMatchObject({ replayed: true, datasetSyncCount: 1 });
    expect(replay.records.map((record) => [record.key, record.value, record.syncCount])).toEqual([["a", "1", 1]]);
    expect((await sync.page("notes", 1)).records.map((record) => [record.key, record.value])).toEqual([["b", "2"]]);
  });
});

describe("stream retention by size", () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcessServer({
      config: {
        adminToken: ADMIN_TOKEN,
        pools: [poolSettingsSchema.parse({ id: "default", stream: { shards: 1, retentionBytes: 2_000_000 } })],
      },
      serverOptions: { stream: { trimIntervalMs: 50 } },
    });
  });
  afterAll(async () => server?.close());

  it("trims a pool's oldest events once their bodies exceed retentionBytes, whatever their age", async () => {
    const sync = syncApi(server, (await server.signInGuest()).token);
    for (let push = 1; push <= 4; push++) await sync.push({ dataset: "big", patches: [{ op: "REPLACE", key: "k", value: `${push}${LARGE}` }] });

    const stream = streamApi(server);
    await expect.poll(async () => (await stream.shards("default"))[0]?.firstSequenceNumber, { timeout: 10_000 }).toBe("3");
    const kept = await stream.readShard("default", 0);
    expect(kept.map((record) => record.sequenceNumber)).toEqual(["3", "4"]);
  });
});
