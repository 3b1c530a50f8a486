/**
 * PostgreSQL's group commit (`server/storage/postgres-group-commit.ts`) racing other lock takers:
 * a merge whose datasets its members create or write, and a second instance writing the same
 * datasets in the opposite order. Neither deadlocks, and every write commits once.
 */
import { expect, it, onTestFinished } from "vitest";
import { describeWithPostgres, createTestSchema, dropTestSchema, withTestClient } from "../helpers/postgres.js";
import { SHARD, appendEvent, eventNames, gate, openMigrated, waitsForHolder, write } from "./postgres-group-commit-fixtures.js";
import { IDENTITY_A, IDENTITY_B, makeDataset } from "./storage-fixtures.js";

// Each test migrates a fresh schema (the last one two instances' worth), seconds on a busy machine.
await describeWithPostgres("PostgreSQL group commit racing merges and instances", () => {
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
