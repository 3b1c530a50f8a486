/**
 * The change feed (`changes`): one answer names every dataset of the identity, and every shared
 * dataset it may read, changed since its cursor, with the records changed since; a cursor older
 * than the stream keeps answers resync; and under concurrent writers (on PostgreSQL truly
 * concurrent) a reader following the cursor misses no change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { shardOf } from "../../server/stream/shard.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

const RECORD = "key value syncCount deleted";
const CHANGES = `query ($cursor: String, $first: Int) { changes(cursor: $cursor, first: $first) {
  cursor resync more datasets { name shared sinceSyncCount datasetSyncCount complete conflictStrategy mergedDatasetNames records { ${RECORD} } } } }`;

interface Feed {
  cursor: string;
  resync: boolean;
  more: boolean;
  datasets: Array<{ name: string; shared: boolean; sinceSyncCount: number; datasetSyncCount: number; complete: boolean; records: Array<{ key: string; value: string | null; syncCount: number; deleted: boolean }> }>;
}

describe("the change feed", () => {
  let server: InProcessServer;

  beforeAll(async () => {
    const pool = poolSettingsSchema.parse({
      id: "default",
      stream: { shards: 2 },
      sharedDatasets: [
        { name: "notice-*", owner: "pool", read: ["any"], write: ["any"] },
        { name: "secret-*", owner: "pool", read: ["role:nobody"], write: ["any"] },
      ],
    });
    server = await startInProcessServer({ config: { pools: [pool] } });
  });
  afterAll(async () => server?.close());

  async function changes(token: string, cursor: string | null, first?: number): Promise<Feed> {
    const answer = await server.gql<{ changes: Feed }>(CHANGES, { cursor, first }, token);
    if (answer.errors) throw new Error(`changes failed: ${JSON.stringify(answer.errors)}`);
    return answer.data!.changes;
  }

  async function guest() {
    const signedIn = await server.signInGuest();
    return { ...signedIn, api: syncApi(server, signedIn.token) };
  }

  it("answers resync and a cursor without one, then only the datasets changed since, with their records since", async () => {
    const { token, api } = await guest();
    await api.push({ dataset: "a", patches: [{ op: "REPLACE", key: "old", value: "1" }] });
    const start = await changes(token, null);
    expect(start).toMatchObject({ resync: true, more: false, datasets: [] });

    await api.push({ dataset: "a", patches: [{ op: "REPLACE", key: "x", value: "2" }] });
    await api.push({ dataset: "a", patches: [{ op: "REPLACE", key: "y", value: "3" }] });
    await api.push({ dataset: "b", patches: [{ op: "REPLACE", key: "z", value: "4" }] });
    const feed = await changes(token, start.cursor);
    expect(feed.resync).toBe(false);
    expect(feed.datasets.map((d) => [d.name, d.shared, d.sinceSyncCount, d.datasetSyncCount, d.complete])).toEqual([
      ["a", false, 1, 3, true],
      ["b", false, 0, 1, true],
    ]);
    expect(feed.datasets[0]!.records.map((r) => [r.key, r.value, r.syncCount])).toEqual([["x", "2", 2], ["y", "3", 3]]);

    const quiet = await changes(token, feed.cursor);
    expect(quiet).toMatchObject({ resync: false, more: false, datasets: [] });
    expect(quiet.cursor).toBe(feed.cursor);
  });

  it("never shows another identity's changes", async () => {
    const [alice, bob] = [await guest(), await guest()];
    const start = await changes(alice.token, null);
    await bob.api.push({ dataset: "private", patches: [{ op: "REPLACE", key: "k", value: "bob's" }] });
    expect((await changes(alice.token, start.cursor)).datasets).toEqual([]);
  });

  it("brings a change to a shared dataset the identity may read, and not one it may not", async () => {
    const [reader, writer] = [await guest(), await guest()];
    const start = await changes(reader.token, null);
    const shared = (dataset: string, value: string) =>
      writer.api.call(`mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`, {
        input: { dataset, shared: true, deviceId: "writer", mutationId: `${dataset}-${value}`, patches: [{ op: "REPLACE", key: "k", value }] },
      });
    await shared("notice-board", "hello");
    await shared("secret-plans", "hidden");
    const feed = await changes(reader.token, start.cursor);
    expect(feed.datasets.map((d) => [d.name, d.shared, d.records.map((r) => r.value)])).toEqual([["notice-board", true, ["hello"]]]);
  });

  it("leaves a dataset whose changes do not fit in first to the device's own pull, and one deleted since", async () => {
    const { token, api } = await guest();
    await api.push({ dataset: "gone", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    const start = await changes(token, null);
    await api.push({ dataset: "big", patches: Array.from({ length: 5 }, (_, i) => ({ op: "REPLACE" as const, key: `k${i}`, value: "v" })) });
    await api.push({ dataset: "small", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    await api.remove("gone");
    const feed = await changes(token, start.cursor, 3);
    expect(feed.datasets.map((d) => [d.name, d.complete, d.records.length])).toEqual([
      ["big", false, 0],
      ["small", true, 1],
      ["gone", false, 0],
    ]);
  });

  it("answers resync to a cursor older than the stream keeps", async () => {
    const { token, api } = await guest();
    const start = await changes(token, null);
    await api.push({ dataset: "trimmed", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    for (let shard = 0; shard < 2; shard++) await server.storage.stream.trimStream("default", shard, Number.MAX_SAFE_INTEGER, 1_000_000);
    const feed = await changes(token, start.cursor);
    expect(feed).toMatchObject({ resync: true, datasets: [] });
    expect((await changes(token, feed.cursor)).resync).toBe(false);
  });

  it("refuses a cursor it did not hand out with BAD_USER_INPUT", async () => {
    const { token } = await guest();
    const answer = await server.gql(CHANGES, { cursor: "not-a-cursor" }, token);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "cursor" });
  });

  it("pages an identity's events past the per-answer limit, saying more", async () => {
    const { identityId, api } = await guest();
    for (let i = 0; i < 3; i++) await api.push({ dataset: `p${i}`, patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    const shard = shardOf(identityId, 2);
    const head = (await server.storage.stream.streamShards("default")).find((range) => range.shard === shard)!;
    const read = await server.storage.changes.readChanges("default", [{ shard, afterSequence: head.lastSequence - 3, ownerIds: [identityId] }], 2, 100, () => []);
    expect(read.shards[0]).toMatchObject({ truncated: true, headSequence: head.lastSequence - 1, contiguous: true });
    expect(read.shards[0]!.events.map((event) => event.dataset)).toEqual(["p0", "p1"]);
  });

  it("misses no change while many writers commit to the identity's datasets at once", async () => {
    const { token, api } = await guest();
    let cursor = (await changes(token, null)).cursor;
    const seen = new Set<string>();
    const follow = async () => {
      for (;;) {
        const feed = await changes(token, cursor);
        expect(feed.resync).toBe(false);
        for (const dataset of feed.datasets) for (const record of dataset.records) seen.add(`${dataset.name}/${record.key}`);
        cursor = feed.cursor;
        if (!feed.more) return;
      }
    };
    const WRITERS = 8;
    const PUSHES = 10;
    // The reader follows once after each acknowledged push, one read at a time, while the other
    // writers go on committing: reads interleave with commits without polling the server flat out.
    let reading: Promise<void> = Promise.resolve();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let push = 0; push < PUSHES; push++) {
          await api.push({ dataset: `w${writer % 4}`, patches: [{ op: "REPLACE", key: `${writer}-${push}`, value: "v" }] });
          reading = reading.then(follow);
        }
      }),
    );
    await reading;
    await follow();
    const written = Array.from({ length: WRITERS * PUSHES }, (_, i) => `w${Math.floor(i / PUSHES) % 4}/${Math.floor(i / PUSHES)}-${i % PUSHES}`);
    expect([...seen].sort()).toEqual(written.sort());
  }, 60_000);
});
