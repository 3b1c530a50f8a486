/**
 * PostgreSQL's group commit (`server/storage/postgres-group-commit.ts`): dataset writes that name
 * one stream shard share one transaction and one COMMIT, each is still all or nothing, and none is
 * answered before its group committed. Groups racing merges and other instances: the races file.
 */
import { expect, it } from "vitest";
import { describeWithPostgres } from "../helpers/postgres.js";
import { SHARD, appendEvent, datasetLockHolders, eventNames, openMigrated, write } from "./postgres-group-commit-fixtures.js";
import { IDENTITY_A, IDENTITY_B, makeDataset, makeRecord } from "./storage-fixtures.js";

// Each test migrates a fresh schema, seconds on a busy machine.
await describeWithPostgres("PostgreSQL group commit", () => {
  it("commits writes naming one stream shard in one transaction, and answers none before its COMMIT", async () => {
    const storage = await openMigrated();
    const events: string[] = [];
    let holders: number[] = [];
    let seenBeforeCommit: unknown = "not checked";
    const answered = (name: string) => (events.push(`answered ${name}`), name);
    const first = write(storage, IDENTITY_A, "first", events).then(answered);
    const second = write(storage, IDENTITY_A, "second", events).then(answered);
    const last = storage.datasets.writeDataset(
      IDENTITY_B,
      "last",
      async (tx) => {
        events.push("run last");
        holders = await datasetLockHolders(storage.schema, [[IDENTITY_A, "first"], [IDENTITY_A, "second"], [IDENTITY_B, "last"]]);
        seenBeforeCommit = await storage.datasets.getDataset(IDENTITY_A, "first");
        await tx.saveDataset(makeDataset(IDENTITY_B, "last", 1));
        return "last";
      },
      { streamShard: SHARD },
    ).then(answered);

    expect(await Promise.all([first, second, last])).toEqual(["first", "second", "last"]);
    expect(holders).toEqual([3]); // one session holds every member's dataset lock
    expect(seenBeforeCommit).toBeNull();
    expect(events).toEqual(["run first", "run second", "run last", "answered first", "answered second", "answered last"]);
    expect(await eventNames(storage)).toEqual([[1, "first"], [2, "second"]]);
  });

  it("rolls back only the refused writes of a group, one that swallowed a failed statement too; its neighbours commit", async () => {
    const storage = await openMigrated();
    const events: string[] = [];
    const refusal = new Error("refused by its own rules");
    const swallowing = storage.datasets.writeDataset(
      IDENTITY_A,
      "swallowing",
      async (tx) => {
        events.push("run swallowing");
        await tx.saveDataset(makeDataset(IDENTITY_A, "swallowing", 1));
        // A shard past its integer column, caught: the transaction cannot go on. (A failed write
        // cannot be caught this way: its error comes with the next statement awaited, or at the end.)
        await tx.appendEvent({ poolId: "default", shard: 2 ** 40, partitionKey: IDENTITY_A, arrivedAt: 1, data: "{}" }).catch(() => undefined);
        return "swallowing";
      },
      { streamShard: SHARD },
    );
    const results = await Promise.allSettled([
      write(storage, IDENTITY_A, "before", events),
      write(storage, IDENTITY_A, "refused", events, refusal),
      swallowing,
      write(storage, IDENTITY_B, "after", events),
    ]);

    expect(events).toEqual(["run before", "run refused", "run swallowing", "run after"]);
    expect(results[0]).toEqual({ status: "fulfilled", value: "before" });
    expect(results[1]).toEqual({ status: "rejected", reason: refusal });
    expect(results[2]).toMatchObject({ status: "rejected", reason: { message: expect.stringMatching(/aborted/) } });
    expect(results[3]).toEqual({ status: "fulfilled", value: "after" });
    expect(await storage.datasets.getDataset(IDENTITY_A, "refused")).toBeNull();
    expect(await storage.datasets.getDataset(IDENTITY_A, "swallowing")).toBeNull();
    for (const [identityId, name] of [[IDENTITY_A, "before"], [IDENTITY_B, "after"]] as const) {
      const stored = await storage.datasets.readRecords(identityId, name, { sinceSyncCount: 0, limit: 10 });
      expect(stored.dataset, name).toMatchObject({ syncCount: 1 });
      expect(stored.records.map((record) => record.value), name).toEqual([name]);
    }
    // The refused write's event went with it: the shard's sequence has no gap.
    expect(await eventNames(storage)).toEqual([[1, "before"], [2, "after"]]);
    // A write refused in a group remembered nothing: its retry applies.
    await expect(write(storage, IDENTITY_A, "refused", events)).resolves.toBe("refused");
  });

  it("refuses a write that left a statement running which then failed, and commits its neighbours", async () => {
    const storage = await openMigrated();
    const leaking = storage.datasets.writeDataset(
      IDENTITY_A,
      "leaking",
      async (tx) => {
        await tx.saveDataset(makeDataset(IDENTITY_A, "leaking", 1));
        const mutation = { deviceId: "d", mutationId: "m", dataset: "leaking", resultJson: "{}", createdAt: 1 };
        await tx.saveMutation(mutation);
        void tx.saveMutation(mutation).catch(() => undefined); // a duplicate key, not awaited: it fails after this write returned
        return "leaking";
      },
      { streamShard: SHARD },
    );
    const results = await Promise.allSettled([leaking, write(storage, IDENTITY_B, "neighbour", []), write(storage, IDENTITY_B, "third", [])]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(await storage.datasets.getDataset(IDENTITY_A, "leaking")).toBeNull();
    expect(await storage.datasets.getDataset(IDENTITY_B, "neighbour")).toMatchObject({ syncCount: 1 });
    expect(await storage.datasets.getDataset(IDENTITY_B, "third")).toMatchObject({ syncCount: 1 });
  });

  it("runs a statement for a member after the refused one whose aborted savepoint first sent it on the connection", async () => {
    const storage = await openMigrated();
    const aborted = storage.datasets.writeDataset(
      IDENTITY_A,
      "aborted",
      async (tx) => {
        // A shard past its integer column, caught: the transaction cannot go on ...
        await tx.appendEvent({ poolId: "default", shard: 2 ** 40, partitionKey: IDENTITY_A, arrivedAt: 1, data: "{}" }).catch(() => undefined);
        // ... so this statement, new to the connection, is refused before it could be prepared.
        await tx.getAllRecords().catch(() => undefined);
        return "aborted";
      },
      { streamShard: SHARD },
    );
    const next = storage.datasets.writeDataset(
      IDENTITY_B,
      "next",
      async (tx) => {
        const before = await tx.getAllRecords();
        await tx.saveRecords([makeRecord("k", 1, { value: "next" })]);
        await tx.saveDataset(makeDataset(IDENTITY_B, "next", 1, { recordCount: 1 }));
        return before.length;
      },
      { streamShard: SHARD },
    );
    const results = await Promise.allSettled([aborted, next]);
    expect(results[0]).toMatchObject({ status: "rejected", reason: { message: expect.stringMatching(/aborted/) } });
    expect(results[1]).toEqual({ status: "fulfilled", value: 0 });
    const stored = await storage.datasets.readRecords(IDENTITY_B, "next", { sinceSyncCount: 0, limit: 10 });
    expect(stored.records.map((record) => record.value)).toEqual(["next"]);
  });

  it("applies writes of one dataset in one group in arrival order, and a replay sees the answer a neighbour remembered", async () => {
    const storage = await openMigrated();
    const mutation = { deviceId: "d", mutationId: "m", dataset: "one", createdAt: 1 };
    const push = (index: number) =>
      storage.datasets.writeDataset(
        IDENTITY_A,
        "one",
        async (tx) => {
          const remembered = await tx.getMutation("d", "m");
          if (remembered !== null) return `replayed ${remembered}`;
          const syncCount = (tx.dataset?.syncCount ?? 0) + 1;
          await tx.saveDataset(makeDataset(IDENTITY_A, "one", syncCount));
          if (index === 1) await tx.saveMutation({ ...mutation, resultJson: String(syncCount) });
          return `applied ${syncCount}`;
        },
        { streamShard: SHARD },
      );
    expect(await Promise.all([0, 1, 2, 3].map(push))).toEqual(["applied 1", "applied 2", "replayed 2", "replayed 2"]);
    expect(await storage.datasets.getDataset(IDENTITY_A, "one")).toMatchObject({ syncCount: 2 });
  });

  it("refuses a write started from inside a group's member at once instead of waiting for its own group", async () => {
    const storage = await openMigrated();
    const nested = storage.datasets.writeDataset(IDENTITY_A, "outer", () => write(storage, IDENTITY_A, "inner", []), { streamShard: SHARD });
    await expect(nested).rejects.toThrow(/not reentrant/);
    await expect(write(storage, IDENTITY_B, "later", [])).resolves.toBe("later");
  });
}, { timeout: 30_000 });
