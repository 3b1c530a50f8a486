/**
 * The event stream over the admin API: what an event says (Cognito Streams format plus ours), that
 * every committed change and only those appends one, each iterator type, paging with nextIterator
 * and millisBehindLatest, shards, bulk publish, retention, and who may read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { shardOf } from "../../server/stream/shard.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi, waitFor, type StreamRecordAnswer } from "../helpers/stream-api.js";
import { syncApi } from "../helpers/sync-api.js";

const T0 = Date.UTC(2026, 0, 1);
let clock = T0;
let server: InProcessServer;
let stream: ReturnType<typeof streamApi>;

beforeAll(async () => {
  server = await startInProcessServer({
    now: () => clock,
    config: {
      adminToken: ADMIN_TOKEN,
      pools: [poolSettingsSchema.parse({ id: "default" }), poolSettingsSchema.parse({ id: "one-shard", stream: { shards: 1 } })],
    },
  });
  stream = streamApi(server);
});
afterAll(() => server.close());

describe("stream events", () => {
  it("appends one event per committed push in Cognito Streams format, with device, mutation and origin", async () => {
    const { identityId, token } = await server.signInGuest();
    const api = syncApi(server, token);
    clock += 1000;
    const pushed = await api.push({
      dataset: "profile",
      deviceId: "phone",
      mutationId: "m-1",
      patches: [
        { op: "REPLACE", key: "name", value: "Ada", deviceLastModifiedAt: clock - 5 },
        { op: "REMOVE", key: "never-existed" },
      ],
    });
    const shard = shardOf(identityId, 4);
    const records = await stream.readShard("default", shard);
    expect(records).toHaveLength(1);
    expect(records[0]).toEqual({
      shard,
      sequenceNumber: "1",
      partitionKey: identityId,
      approximateArrivalTimestamp: clock,
      data: {
        identityPoolId: "default",
        identityId,
        dataSetName: "profile",
        operation: "replace",
        kinesisSyncRecords: [
          { key: "name", value: "Ada", syncCount: 1, lastModifiedDate: clock, deviceLastModifiedDate: clock - 5, op: "replace", kind: "STRING", origin: "device" },
          { key: "never-existed", value: null, syncCount: 1, lastModifiedDate: clock, deviceLastModifiedDate: clock, op: "remove", kind: "STRING", origin: "device" },
        ],
        lastModifiedDate: clock,
        syncCount: pushed.datasetSyncCount,
        payloadType: "Inline",
        deviceId: "phone",
        mutationId: "m-1",
        origin: "device",
      },
    });

    // A replay commits nothing, so it appends nothing; a delete appends a `remove` event.
    expect((await api.push({ dataset: "profile", deviceId: "phone", mutationId: "m-1", patches: [{ op: "REPLACE", key: "name", value: "Ada" }] })).replayed).toBe(true);
    await api.remove("profile");
    const after = await stream.readShard("default", shard);
    expect(after.map((record) => [record.sequenceNumber, record.data.operation, record.data.syncCount])).toEqual([
      ["1", "replace", 1],
      ["2", "remove", 2],
    ]);
    expect(after[1]!.data).toMatchObject({ kinesisSyncRecords: [], deviceId: null, mutationId: null, dataSetName: "profile" });
  });

  it("appends nothing for a push refused with OPTIMISTIC conflicts", async () => {
    const { identityId, token } = await server.signInGuest("one-shard");
    const api = syncApi(server, token);
    await api.configure("ledger", "OPTIMISTIC");
    await api.push({ dataset: "ledger", patches: [{ op: "REPLACE", key: "k", value: "1", syncCount: 0 }] });
    const stale = await api.push({ dataset: "ledger", patches: [{ op: "REPLACE", key: "k", value: "2", syncCount: 0 }] });
    expect(stale.conflicts).toHaveLength(1);
    const mine = (await stream.readShard("one-shard", 0)).filter((record) => record.partitionKey === identityId);
    expect(mine.map((record) => record.data.syncCount)).toEqual([1]);
  });

  it("answers every shard of the pool, also those without events", async () => {
    const shards = await stream.shards("default");
    expect(shards.map((shard) => shard.shard)).toEqual([0, 1, 2, 3]);
    for (const shard of shards) {
      if (shard.lastSequenceNumber === null) expect(shard).toMatchObject({ firstSequenceNumber: null, lastArrivalTimestamp: null });
    }
    await expect(stream.shards("no-such-pool")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses readers without the admin token", async () => {
    const { token } = await server.signInGuest();
    await expect(streamApi(server, token).shards("default")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(streamApi(server, "").readShard("default", 0)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});

describe("iterators", () => {
  const times: number[] = [];
  let push: (value: string) => Promise<unknown>;
  const sequences = (records: StreamRecordAnswer[]) => records.map((record) => Number(record.sequenceNumber));

  beforeAll(async () => {
    const { token } = await server.signInGuest("one-shard");
    const api = syncApi(server, token);
    push = (value) => api.push({ dataset: "iterated", patches: [{ op: "REPLACE", key: "k", value }] });
    const base = (await stream.readShard("one-shard", 0)).length;
    expect(base).toBe(1); // the previous describe's OPTIMISTIC push
    for (let index = 0; index < 5; index++) {
      clock += 1000;
      times.push(clock);
      await push(`v${index}`);
    }
  });

  it("TRIM_HORIZON starts at the oldest event", async () => {
    expect(sequences(await stream.readShard("one-shard", 0))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER start at and after the number", async () => {
    expect(sequences(await stream.readShard("one-shard", 0, { type: "AT_SEQUENCE_NUMBER", sequenceNumber: "4" }))).toEqual([4, 5, 6]);
    expect(sequences(await stream.readShard("one-shard", 0, { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: "4" }))).toEqual([5, 6]);
    await expect(stream.readShard("one-shard", 0, { type: "AT_SEQUENCE_NUMBER" })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  });

  it("AT_TIMESTAMP starts at the first event that arrived at or after the time", async () => {
    expect(sequences(await stream.readShard("one-shard", 0, { type: "AT_TIMESTAMP", timestamp: times[2]! }))).toEqual([4, 5, 6]);
    expect(sequences(await stream.readShard("one-shard", 0, { type: "AT_TIMESTAMP", timestamp: times[2]! - 1 }))).toEqual([4, 5, 6]);
    expect(sequences(await stream.readShard("one-shard", 0, { type: "AT_TIMESTAMP", timestamp: clock + 1 }))).toEqual([]);
  });

  it("LATEST returns only what is appended after it, through nextIterator", async () => {
    const latest = await stream.records("one-shard", 0, { iterator: { type: "LATEST" } });
    expect(latest).toMatchObject({ records: [], millisBehindLatest: 0 });
    clock += 1000;
    await push("after-latest");
    const next = await stream.records("one-shard", 0, { nextIterator: latest.nextIterator });
    expect(sequences(next.records)).toEqual([7]);
    expect(next.records[0]!.data.kinesisSyncRecords[0]!.value).toBe("after-latest");
  });

  it("pages with limit, telling how far behind the newest event the page is", async () => {
    const first = await stream.records("one-shard", 0, { iterator: { type: "AT_SEQUENCE_NUMBER", sequenceNumber: "2" } }, 2);
    expect(sequences(first.records)).toEqual([2, 3]);
    expect(first.millisBehindLatest).toBe(clock - times[1]!); // newest arrival minus the page's last
    const rest = await stream.records("one-shard", 0, { nextIterator: first.nextIterator }, 100);
    expect(sequences(rest.records)).toEqual([4, 5, 6, 7]);
    expect(rest.millisBehindLatest).toBe(0);
  });

  it("refuses a foreign or malformed nextIterator and asks for exactly one start", async () => {
    const page = await stream.records("one-shard", 0, { iterator: { type: "TRIM_HORIZON" } }, 1);
    await expect(stream.records("default", 0, { nextIterator: page.nextIterator })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    await expect(stream.records("one-shard", 0, { nextIterator: "garbage" })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    const both = stream.call(`{ streamRecords(identityPoolId: "one-shard", shard: 0, iterator: { type: LATEST }, nextIterator: "x") { nextIterator } }`);
    await expect(both).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  });
});

describe("bulk publish", () => {
  it("publishes every live dataset with its live records, origin bulk-publish, and reports progress", async () => {
    const pool = "one-shard";
    const before = (await stream.readShard(pool, 0)).length;
    const { token } = await server.signInGuest(pool);
    const api = syncApi(server, token);
    await api.push({ dataset: "kept", patches: [{ op: "REPLACE", key: "a", value: "1" }, { op: "REPLACE", key: "b", value: "2" }] });
    await api.push({ dataset: "kept", patches: [{ op: "REMOVE", key: "b" }] });
    await api.push({ dataset: "gone", patches: [{ op: "REPLACE", key: "x", value: "1" }] });
    await api.remove("gone");

    expect((await stream.bulkPublishDetails("default")).status).toBe("NOT_STARTED");
    const started = await stream.bulkPublish(pool);
    expect(started).toMatchObject({ identityPoolId: pool, status: expect.stringMatching(/IN_PROGRESS|SUCCEEDED/) });
    await waitFor(async () => (await stream.bulkPublishDetails(pool)).status === "SUCCEEDED", 10_000, "bulk publish");
    const details = await stream.bulkPublishDetails(pool);
    const published = (await stream.readShard(pool, 0)).slice(before + 4);
    expect(published.every((record) => record.data.origin === "bulk-publish" && record.data.deviceId === null)).toBe(true);
    expect(details.published).toBe(published.length);
    expect(details.total).toBe(published.length);
    const kept = published.find((record) => record.data.dataSetName === "kept")!;
    expect(kept.data.kinesisSyncRecords.map((record) => [record.key, record.value, record.origin])).toEqual([["a", "1", "bulk-publish"]]);
    expect(kept.data.syncCount).toBe(2);
    expect(published.some((record) => record.data.dataSetName === "gone")).toBe(false);
  });
});

describe("retention", () => {
  // Its own server, three sign-ins and pushes, then the trim pass: more than 5 s on a busy machine.
  it("trims events older than the pool's retention, and only those", { timeout: 20_000 }, async () => {
    let now = T0;
    const local = await startInProcessServer({
      now: () => now,
      config: { adminToken: ADMIN_TOKEN, pools: [poolSettingsSchema.parse({ id: "short", stream: { shards: 1, retentionHours: 1 } })] },
      serverOptions: { stream: { trimIntervalMs: 50 } },
    });
    try {
      const localStream = streamApi(local);
      const pushAt = async (at: number, value: string) => {
        now = at;
        const { token } = await local.signInGuest("short");
        await syncApi(local, token).push({ dataset: "d", patches: [{ op: "REPLACE", key: "k", value }] });
      };
      await pushAt(T0, "old");
      await pushAt(T0 + 30 * 60_000, "middle");
      await pushAt(T0 + 61 * 60_000, "new"); // the first event is now 61 minutes old, the second 31
      await waitFor(async () => (await localStream.readShard("short", 0)).length === 2, 15_000, "the trim");
      const left = await localStream.readShard("short", 0);
      expect(left.map((record) => [record.sequenceNumber, record.data.kinesisSyncRecords[0]!.value])).toEqual([["2", "middle"], ["3", "new"]]);
      expect((await localStream.shards("short"))[0]).toMatchObject({ firstSequenceNumber: "2", lastSequenceNumber: "3" });
    } finally {
      await local.close();
    }
  });
});
