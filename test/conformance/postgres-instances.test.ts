/**
 * Several PostgreSQL storages on one schema, each with its own pool: what several syncpool servers
 * sharing a database do. The in-process queue cannot help here; only the database's locks can.
 * Also the migration runner: concurrent starts, ordering, rollback, and version checks.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import type { PostgresStorage } from "../../server/storage/postgres.js";
import { POSTGRES_MIGRATIONS, migratePostgres } from "../../server/storage/postgres-migrations.js";
import {
  createTestSchema,
  describeWithPostgres,
  dropTestSchema,
  openTestPostgresStorage,
  testSchemaName,
  withTestClient,
} from "../helpers/postgres.js";
import { IDENTITY_A, makeDataset, makeRecord, yieldToOthers } from "./storage-fixtures.js";

await describeWithPostgres("PostgreSQL across instances", () => {
  /** `count` storages (separate pools) on one fresh schema, all dropped when the test finishes. */
  async function openInstances(count: number, migrate = true): Promise<PostgresStorage[]> {
    const schema = await createTestSchema();
    onTestFinished(() => dropTestSchema(schema));
    const instances: PostgresStorage[] = [];
    for (let index = 0; index < count; index++) {
      const { storage, cleanup } = await openTestPostgresStorage({ schema });
      onTestFinished(cleanup);
      instances.push(storage);
    }
    if (migrate) await instances[0]!.migrate();
    return instances;
  }
  const migrationVersions = (schema: string) =>
    withTestClient(async (client) => {
      const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      return rows.map((row) => row.version);
    });

  // Fifty writes that each wait for the one before on the dataset's lock, on two connections: seconds on a busy machine.
  it("serializes writers of one dataset across two instances: 50 read-modify-write pushes end at 50", { timeout: 30_000 }, async () => {
    const [first, second] = await openInstances(2);
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        (index % 2 === 0 ? first! : second!).datasets.writeDataset(IDENTITY_A, "counter", async (tx) => {
          const current = tx.dataset?.syncCount ?? 0;
          await yieldToOthers(); // a window for the other instance, if the lock let it in
          seen.push(current);
          await tx.saveRecords([makeRecord(`writer-${index}`, current + 1)]);
          await tx.saveDataset(makeDataset(IDENTITY_A, "counter", current + 1));
        }),
      ),
    );
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    const { dataset, records } = await first!.datasets.readRecords(IDENTITY_A, "counter", { sinceSyncCount: 0, limit: 100 });
    expect(dataset?.syncCount).toBe(50);
    expect(records.map((record) => record.syncCount)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
  });

  it("serializes dataset creation per identity across instances: 25 concurrent first writes, exactly 20 fit", async () => {
    const [first, second] = await openInstances(2);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 25 }, (_, index) =>
        (index % 2 === 0 ? first! : second!).datasets.writeDataset(IDENTITY_A, `dataset-${index}`, async (tx) => {
          const live = await tx.countLiveDatasets();
          await yieldToOthers(); // a window for another creator, if the count were not locked
          if (live >= 20) throw new Error(`limit: ${live} live datasets`);
          await tx.saveDataset(makeDataset(IDENTITY_A, `dataset-${index}`, 1));
          return live;
        }),
      ),
    );
    const counts = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(outcomes.filter((outcome) => outcome.status === "rejected")).toHaveLength(5);
    expect(await second!.datasets.listDatasets(IDENTITY_A)).toHaveLength(20);
  });

  it("records a user-pool challenge session's answer once across two instances: of 20 racing records exactly one wins", async () => {
    const [first, second] = await openInstances(2);
    const expiresAt = Date.now() + 180_000;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first! : second!).userPools.useChallengeSession("local_default", "c".repeat(64), expiresAt)),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });

  // Each test runs every migration's DDL on a fresh schema, once or several times (under half a second
  // when the machine is idle; past vitest's 5 s when two suites share its two cores).
  describe("the migration runner", { timeout: 30_000 }, () => {
    it("lets four instances migrate one fresh schema at once, applying each migration once", async () => {
      const instances = await openInstances(4, false);
      await Promise.all(instances.map((storage) => storage.migrate()));
      expect(await migrationVersions(instances[0]!.schema)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      await expect(instances[3]!.pools.getPool("default")).resolves.toBeNull();
    });

    // The runner itself, on raw clients: each call says which versions it applied.
    const extra = { version: POSTGRES_MIGRATIONS.at(-1)!.version + 1, name: "add notes", sql: "CREATE TABLE notes (id text);" };
    /** A fresh schema, dropped when the test finishes; `created: false` leaves creating it to migrate. */
    async function freshSchema(created = true): Promise<string> {
      const schema = created ? await createTestSchema() : testSchemaName();
      onTestFinished(() => dropTestSchema(schema));
      return schema;
    }

    it("applies each version exactly once when four runners race on a schema that does not exist yet", async () => {
      const schema = await freshSchema(false);
      const applied = await Promise.all(
        Array.from({ length: 4 }, () => withTestClient((client) => migratePostgres(client, schema, [...POSTGRES_MIGRATIONS, extra]))),
      );
      expect(applied.flat().sort((a, b) => a - b)).toEqual([...POSTGRES_MIGRATIONS.map((m) => m.version), extra.version]);
      expect(applied.filter((versions) => versions.length > 0)).toHaveLength(1);
    });

    it("applies pending migrations in order, records them, and applies nothing the second time", async () => {
      const schema = await freshSchema();
      await withTestClient(async (client) => {
        expect(await migratePostgres(client, schema)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
        expect(await migratePostgres(client, schema, [...POSTGRES_MIGRATIONS, extra])).toEqual([extra.version]);
        expect(await migratePostgres(client, schema, [...POSTGRES_MIGRATIONS, extra])).toEqual([]);
      });
      expect(await migrationVersions(schema)).toEqual([...POSTGRES_MIGRATIONS.map((m) => m.version), extra.version]);
    });

    it("rolls a failing migration back entirely, recording nothing", async () => {
      const schema = await freshSchema();
      const broken = { ...extra, sql: "CREATE TABLE half (id text); THIS IS NOT SQL;" };
      await withTestClient(async (client) => {
        await expect(migratePostgres(client, schema, [...POSTGRES_MIGRATIONS, broken])).rejects.toThrow(/syntax/);
        const { rows } = await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", [schema]);
        expect(rows).toEqual([]);
        expect((await client.query("SELECT 1 AS usable")).rows).toEqual([{ usable: 1 }]);
      });
    });

    it("refuses a schema migrated by a newer build, and a list whose versions do not ascend", async () => {
      const schema = await freshSchema();
      await withTestClient(async (client) => {
        await migratePostgres(client, schema, [...POSTGRES_MIGRATIONS, extra]);
        await expect(migratePostgres(client, schema)).rejects.toThrow(/newer than this build knows/);
        await expect(migratePostgres(client, schema, [extra, ...POSTGRES_MIGRATIONS])).rejects.toThrow(/ascending/);
      });
    });
  });
});
