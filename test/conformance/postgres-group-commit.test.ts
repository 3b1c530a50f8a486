/**
 * PostgreSQL's group commit (`server/storage/postgres-group-commit.ts`): dataset writes that name
 * one stream shard share one transaction and one COMMIT, each is still all or nothing, none is
 * answered before its group committed, and groups on several instances never deadlock.
 */
import { expect, it, onTestFinished } from "vitest";
import type { DatasetWriteTx, Storage } from "../../server/storage/storage.js";
import type { PostgresStorage } from "../../server/storage/postgres.js";
import { createTestSchema, describeWithPostgres, dropTestSchema, openTestPostgresStorage, withTestClient } from "../helpers/postgres.js";
import { IDENTITY_A, IDENTITY_B, makeDataset, makeRecord } from "./storage-fixtures.js";

const SHARD = "pool/0";

/** Appends a change event of `name` to the test shard, as a push's last step does. */
function appendEvent(tx: DatasetWriteTx, identityId: string, name: string) {
  return tx.appendEvent({ poolId: "pool", shard: 0, partitionKey: identityId, arrivedAt: 1, data: JSON.stringify({ name }) });
}

/** A write in the test shard's group: saves one record, bumps the dataset's count, appends its event; `refuse` then throws. */
function write(storage: Storage, identityId: string, name: string, events: string[], refuse?: Error): Promise<string> {
  return storage.datasets.writeDataset(
    identityId,
    name,
    async (tx) => {
      events.push(`run ${name}`);
      const syncCount = (tx.dataset?.syncCount ?? 0) + 1;
      await tx.saveRecords([makeRecord("k", syncCount, { value: name })]);
      await tx.saveDataset(makeDataset(identityId, name, syncCount, { recordCount: 1 }));
      await appendEvent(tx, identityId, name);
      if (refuse) throw refuse;
      return name;
    },
    { streamShard: SHARD },
  );
}

/** The sessions holding a dataset lock of `datasets`, and how many of those locks each holds. */
function datasetLockHolders(schema: string, datasets: Array<[string, string]>): Promise<number[]> {
  return withTestClient(async (client) => {
    const { rows } = await client.query<{ locks: number }>(
      `SELECT count(*)::int AS locks FROM pg_locks l
       JOIN unnest($1::text[], $2::text[]) AS d(owner, name)
         ON l.classid::bigint = (hashtext(d.owner)::bigint & 4294967295) AND l.objid::bigint = (hashtext(d.name)::bigint & 4294967295)
       WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted GROUP BY l.pid`,
      [datasets.map(([identityId]) => `${schema}.${identityId}`), datasets.map(([, name]) => name)],
    );
    return rows.map((row) => row.locks);
  });
}

/** Whether a session waits for a lock held by the one holding the dataset lock of (identityId, name). */
function waitsForHolder(schema: string, identityId: string, name: string): Promise<boolean> {
  return withTestClient(async (client) => {
    const { rows } = await client.query<{ waits: boolean }>(
      `WITH holder AS (
         SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted
           AND classid::bigint = (hashtext($1)::bigint & 4294967295) AND objid::bigint = (hashtext($2)::bigint & 4294967295))
       SELECT EXISTS (SELECT 1 FROM pg_stat_activity a JOIN holder h ON h.pid = ANY(pg_blocking_pids(a.pid))) AS waits`,
      [`${schema}.${identityId}`, name],
    );
    return rows[0]!.waits;
  });
}

/** A gate a test opens: `passed` resolves once `open` was called. */
function gate(): { open: () => void; passed: Promise<void> } {
  let open!: () => void;
  const passed = new Promise<void>((resolve) => (open = resolve));
  return { open, passed };
}

const eventNames = async (storage: Storage) =>
  (await storage.stream.readStreamEvents("pool", 0, 1, 100)).map((event) => [event.sequence, (JSON.parse(event.data) as { name: string }).name]);

// Each test migrates a fresh schema (the last one two instances' worth), seconds on a busy machine.
await describeWithPostgres("PostgreSQL group commit", () => {
  async function openMigrated(schema?: string): Promise<PostgresStorage> {
    const { storage, cleanup } = await openTestPostgresStorage(schema ? { schema } : {});
    onTestFinished(cleanup);
    await storage.migrate();
    return storage;
  }

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

  it("commits a group and a merge racing it, an earlier member creating a dataset of the merge's target and a later one writing as its source, without a deadlock", async () => {
    const storage = await openMigrated();
    // IDENTITY_A sorts first: the group runs the target's member, then the source's.
    const [target, source] = [IDENTITY_A, IDENTITY_B];
    for (const id of [target, source]) await storage.identities.createIdentityWithLogins({ id, poolId: "pool", secretHash: null, createdAt: 1 }, []);
    const [created, resumed] = [gate(), gate()];
    // Neither new dataset is on the merge's list: it holds none of their locks.
    const targetWrite = storage.datasets.writeDataset(target, "new", async (tx) => {
      await tx.saveDataset(makeDataset(target, "new", 1)); // takes the target's dataset-creation lock
      created.open();
      await resumed.passed;
      return "target";
    }, { streamShard: SHARD });
    const sourceWrite = storage.datasets.writeDataset(source, "new", async (tx) => {
      await tx.saveDataset(makeDataset(source, "new", 1));
      return "source";
    }, { streamShard: SHARD });
    await created.passed;
    const merge = storage.identities.writeMerge(source, target, [{ identityId: source, name: "d" }, { identityId: target, name: "d" }], async (tx) => {
      await tx.markMerged(source, target, 2);
      return "merged";
    });
    // The merge now waits for the group (for the target's creation lock, or the source's row).
    await expect.poll(() => waitsForHolder(storage.schema, target, "new"), { timeout: 20_000 }).toBe(true);
    resumed.open();
    expect(await Promise.allSettled([targetWrite, sourceWrite, merge])).toEqual(
      ["target", "source", "merged"].map((value) => ({ status: "fulfilled", value })),
    );
    expect(await storage.datasets.getDataset(source, "new")).toMatchObject({ syncCount: 1 });
    expect(await storage.identities.getIdentityStatus(source)).toMatchObject({ mergedInto: target });
  });

  it("commits a group and a merge racing it, an earlier member holding the shard's row and a later one creating a dataset of the merge's target, without a deadlock", async () => {
    const storage = await openMigrated();
    // IDENTITY_A's member runs first and appends; the merge's target, IDENTITY_B, then creates.
    const [other, target, source] = [IDENTITY_A, IDENTITY_B, "local:cccccccc-cccc-4ccc-8ccc-cccccccccccc"];
    const [appended, resumed] = [gate(), gate()];
    const otherWrite = storage.datasets.writeDataset(other, "notes", async (tx) => {
      await tx.saveDataset(makeDataset(other, "notes", 1));
      await appendEvent(tx, other, "notes"); // holds the shard's row until the group commits
      appended.open();
      await resumed.passed;
      return "other";
    }, { streamShard: SHARD });
    const targetWrite = storage.datasets.writeDataset(target, "new", async (tx) => {
      await tx.saveDataset(makeDataset(target, "new", 1)); // needs the target's dataset-creation lock
      return "target";
    }, { streamShard: SHARD });
    await appended.passed;
    // The merge appends its event to the same shard last, as a merge that changed a dataset does.
    const merge = storage.identities.writeMerge(source, target, [{ identityId: source, name: "d" }, { identityId: target, name: "d" }], async (tx) => {
      await appendEvent(tx.dataset(target, "d"), target, "merged");
      return "merged";
    });
    await expect.poll(() => waitsForHolder(storage.schema, other, "notes"), { timeout: 20_000 }).toBe(true);
    resumed.open();
    expect(await Promise.allSettled([otherWrite, targetWrite, merge])).toEqual(
      ["other", "target", "merged"].map((value) => ({ status: "fulfilled", value })),
    );
    expect((await eventNames(storage)).map(([, name]) => name)).toEqual(["notes", "merged"]);
  });

  it("commits the groups of two instances writing the same datasets in opposite orders, without a deadlock", async () => {
    const schema = await createTestSchema();
    onTestFinished(() => dropTestSchema(schema));
    const first = await openMigrated(schema);
    const second = await openMigrated(schema);
    const names = Array.from({ length: 8 }, (_, index) => `dataset-${index}`);
    const owner = `${schema}.${IDENTITY_A}`;
    // A session outside holds the middle dataset, so both groups are caught halfway through taking
    // their locks: taken in arrival order, each would then hold what the other waits for.
    await withTestClient(async (blocker) => {
      await blocker.query("BEGIN");
      await blocker.query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", [owner, "dataset-4"]);
      const writes = [...names.map((name) => write(first, IDENTITY_A, name, [])), ...[...names].reverse().map((name) => write(second, IDENTITY_A, name, []))];
      const waiting = async () => {
        const { rows } = await blocker.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND NOT granted
             AND classid::bigint = (hashtext($1)::bigint & 4294967295)`,
          [owner],
        );
        return rows[0]!.waiting;
      };
      await expect.poll(waiting, { timeout: 20_000 }).toBe(2);
      await blocker.query("COMMIT");
      await Promise.all(writes);
    });
    for (const name of names) expect(await first.datasets.getDataset(IDENTITY_A, name), name).toMatchObject({ syncCount: 2 });
    const sequences = (await first.stream.readStreamEvents("pool", 0, 1, 1000)).map((event) => event.sequence);
    expect(sequences).toEqual(Array.from({ length: 2 * names.length }, (_, index) => index + 1));
  });
}, { timeout: 30_000 });
