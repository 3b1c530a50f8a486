/**
 * A storm of concurrent pushes from many devices (with retries of some of them) and what the
 * stream must hold after it: per shard, sequence numbers 1..N without gaps or duplicates; one
 * event per committed push and none for a replay; every identity's events in its own shard, in
 * sync count order. Runs on SQLite and on PostgreSQL (where writers of different datasets commit
 * truly concurrently and serialize only on the shard's counter).
 */
import { afterAll, describe, expect, it } from "vitest";
import { shardOf } from "../../server/stream/shard.js";
import { describeWithPostgres, openTestPostgresStorage } from "../helpers/postgres.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { syncApi, type PushAnswer } from "../helpers/sync-api.js";

const IDENTITIES = 6;
const DEVICES = 3;
const PUSHES_PER_DEVICE = 8;

interface Acknowledged {
  identityId: string;
  dataset: string;
  mutationId: string;
  answer: PushAnswer;
}

async function storm(server: InProcessServer): Promise<void> {
  const identities = await Promise.all(Array.from({ length: IDENTITIES }, () => server.signInGuest()));
  const pushes: Array<Promise<Acknowledged>> = [];
  for (const { identityId, token } of identities) {
    const api = syncApi(server, token);
    for (let device = 0; device < DEVICES; device++) {
      for (let index = 0; index < PUSHES_PER_DEVICE; index++) {
        const dataset = `data-${index % 2}`;
        const mutationId = `d${device}-m${index}`;
        const push = () =>
          api.push({ dataset, deviceId: `device-${device}`, mutationId, patches: [{ op: "REPLACE", key: `k-${device}-${index % 3}`, value: `${device}:${index}` }] });
        pushes.push(push().then((answer) => ({ identityId, dataset, mutationId, answer })));
        // Every third push is retried at once, racing its original: one of the two is a replay.
        if (index % 3 === 0) pushes.push(push().then((answer) => ({ identityId, dataset, mutationId, answer })));
      }
    }
  }
  const acknowledged = await Promise.all(pushes);
  const committed = acknowledged.filter((ack) => !ack.answer.replayed);
  expect(committed).toHaveLength(IDENTITIES * DEVICES * PUSHES_PER_DEVICE);

  const stream = streamApi(server, ADMIN_TOKEN);
  const shards = await stream.shards("default");
  const events = [];
  for (const { shard } of shards) {
    const records = await stream.readShard("default", shard);
    // Gap-free and duplicate-free: exactly 1..N.
    expect(records.map((record) => Number(record.sequenceNumber))).toEqual(records.map((_, index) => index + 1));
    for (const record of records) expect(shardOf(record.partitionKey, 4)).toBe(shard);
    events.push(...records);
  }

  // One event per committed push, matching it one to one.
  expect(events).toHaveLength(committed.length);
  const byMutation = new Map(events.map((event) => [`${event.data.identityId}/${event.data.mutationId}`, event]));
  expect(byMutation.size).toBe(events.length);
  for (const ack of committed) {
    const event = byMutation.get(`${ack.identityId}/${ack.mutationId}`);
    expect(event, `${ack.identityId}/${ack.mutationId}`).toBeDefined();
    expect(event!.data).toMatchObject({ dataSetName: ack.dataset, syncCount: ack.answer.datasetSyncCount, origin: "device" });
  }

  // Within a shard, each dataset's events come in sync count order 1, 2, 3, ...
  const counts = new Map<string, number[]>();
  for (const event of events) {
    const key = `${event.data.identityId}/${event.data.dataSetName}`;
    counts.set(key, [...(counts.get(key) ?? []), event.data.syncCount]);
  }
  for (const [key, sequence] of counts) expect(sequence, key).toEqual(sequence.map((_, index) => index + 1));
}

// Hundreds of concurrent pushes: well under 30 s idle, up to a minute on a busy machine.
describe("stream storm on SQLite", { timeout: 60_000 }, () => {
  let server: InProcessServer;
  afterAll(() => server?.close());

  it("holds exactly one event per committed push, gap-free per shard, in commit order", async () => {
    server = await startInProcessServer({ config: { adminToken: ADMIN_TOKEN } });
    await storm(server);
  });
});

// Hundreds of concurrent pushes.
await describeWithPostgres("stream storm on PostgreSQL", () => {
  it("holds exactly one event per committed push, gap-free per shard, in commit order", async () => {
    const { storage, cleanup } = await openTestPostgresStorage({ poolSize: 8 });
    const server = await startInProcessServer({ config: { adminToken: ADMIN_TOKEN }, serverOptions: { storage } });
    try {
      await storm(server);
    } finally {
      await server.close();
      await cleanup();
    }
  });
}, { timeout: 60_000 });
