/**
 * The PostgreSQL adapter: the shared conformance suite, each test on an empty migrated schema of the test
 * database, plus what only a pooled, networked backend has (closing a pool with work in flight,
 * nested writes, a callback reading through a small pool, the deferred foreign key, schemas).
 * Several instances on one database (like several servers) are in `postgres-instances.test.ts`.
 */
import type { Socket } from "node:net";
import pg from "pg";
import { expect, it, onTestFinished } from "vitest";
import { openStorage } from "../../server/storage/open-storage.js";
import type { PostgresStorage } from "../../server/storage/postgres.js";
import { openPostgresStorage } from "../../server/storage/postgres.js";
import { postgresSession } from "../../server/storage/postgres-rows.js";
import { sql } from "../../server/storage/sql.js";
import {
  createTestSchema,
  describeWithPostgres,
  dropTestSchema,
  openReusedTestPostgresStorage,
  openTestPostgresStorage,
  postgresTestUrl,
  releaseTestSchema,
  takeTestSchema,
  testSchemaName,
  withTestClient,
} from "../helpers/postgres.js";
import { BASE_MS, IDENTITY_A, commitPush, deferred, makeDataset, makeRecord, writeInsideWrite, yieldToOthers } from "./storage-fixtures.js";
import { runStorageConformance } from "./storage-suite.js";

await describeWithPostgres("PostgreSQL conformance", () => {
  // Each test on an empty migrated schema: fresh, or one an earlier test migrated, emptied.
  runStorageConformance("postgres", () => openReusedTestPostgresStorage());

  /** A migrated storage on an empty schema (`takeTestSchema`), closed and given back when the test finishes. */
  async function openMigrated(poolSize?: number, detectNestedWrites = true): Promise<PostgresStorage> {
    const schema = await takeTestSchema();
    const { storage, cleanup } = await openTestPostgresStorage({ schema, detectNestedWrites, ...(poolSize ? { poolSize } : {}) });
    onTestFinished(async () => {
      await cleanup();
      await releaseTestSchema(schema);
    });
    await storage.migrate();
    return storage;
  }
  const readAll = (storage: PostgresStorage, name: string) =>
    storage.datasets.readRecords(IDENTITY_A, name, { sinceSyncCount: 0, limit: 10_000 });

  it("close waits for the write in flight, commits it, then refuses new calls", async () => {
    const storage = await openMigrated();
    const release = deferred();
    const push = storage.datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
      await release.promise;
      await tx.saveRecords([makeRecord("late", 1)]);
      await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
    });
    const queued = commitPush(storage, IDENTITY_A, "notes", 2, []); // waits behind the first
    const closed = storage.close();
    await expect(storage.datasets.getDataset(IDENTITY_A, "notes")).rejects.toThrow(/closed/);
    await expect(storage.pools.savePool({ id: "p", settings: {}, createdAt: 1 })).rejects.toThrow(/closed/);
    release.resolve();
    await push;
    await queued;
    await closed;
    await expect(storage.close()).resolves.toBeUndefined();
    const reopened = await openPostgresStorage({ url: postgresTestUrl, schema: storage.schema });
    onTestFinished(() => reopened.close());
    expect((await reopened.datasets.getDataset(IDENTITY_A, "notes"))?.syncCount).toBe(2);
  });

  it("fails fast instead of deadlocking when a write method is called inside writeDataset", async () => {
    const storage = await openMigrated();
    const same = storage.datasets.writeDataset(IDENTITY_A, "notes", () => storage.datasets.writeDataset(IDENTITY_A, "notes", async () => 1));
    await expect(same).rejects.toThrow(/reentrant/);
    const other = storage.datasets.writeDataset(IDENTITY_A, "notes", () => storage.datasets.writeDataset(IDENTITY_A, "other", async () => 1));
    await expect(other).rejects.toThrow(/reentrant/);
    const pool = storage.datasets.writeDataset(IDENTITY_A, "notes", () => storage.pools.savePool({ id: "p", settings: {}, createdAt: 1 }));
    await expect(pool).rejects.toThrow(/reentrant/);
    await expect(storage.datasets.writeDataset(IDENTITY_A, "notes", async () => "still usable")).resolves.toBe("still usable");
  });

  it("with the nested-write check off, queues a write of the same dataset started inside another's callback behind it", async () => {
    const storage = await openMigrated(undefined, false);
    const { order, inner } = await writeInsideWrite(storage, "notes");
    expect(inner).toEqual({ status: "fulfilled", value: "inner" });
    expect(order).toEqual(["outer", "inner"]);
  });

  it("lets write callbacks read through the storage even when writers outnumber the pool", async () => {
    const storage = await openMigrated(2);
    const datasets = Array.from({ length: 6 }, (_, index) => `dataset-${index}`);
    await Promise.all(
      datasets.map((name) =>
        storage.datasets.writeDataset(IDENTITY_A, name, async (tx) => {
          expect(await storage.datasets.getDataset(IDENTITY_A, name)).toBeNull();
          await yieldToOthers();
          await tx.saveDataset(makeDataset(IDENTITY_A, name, 1));
        }),
      ),
    );
    expect((await storage.datasets.listDatasets(IDENTITY_A)).map((row) => row.name)).toEqual(datasets);
  });

  it("refuses to commit records of a dataset that has no row", async () => {
    const storage = await openMigrated();
    const orphan = storage.datasets.writeDataset(IDENTITY_A, "notes", (tx) => tx.saveRecords([makeRecord("orphan", 1)]));
    await expect(orphan).rejects.toThrow(/foreign key/);
    expect(await readAll(storage, "notes")).toEqual({ dataset: null, records: [] });
  });

  it("does not report a commit when the callback swallowed a failed statement", async () => {
    const storage = await openMigrated();
    const swallowing = storage.datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
      await tx.saveRecords([makeRecord("a", 1)]);
      await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
      // A shard past its integer column: the statement fails, and the callback swallows its error.
      await tx.appendEvent({ poolId: "default", shard: 2 ** 40, partitionKey: IDENTITY_A, arrivedAt: 1, data: "{}" }).catch(() => undefined);
    });
    await expect(swallowing).rejects.toThrow(/rolled the transaction back/);
    expect(await readAll(storage, "notes")).toEqual({ dataset: null, records: [] });
  });

  it("keeps its tables in its own schema, creating the schema when missing", async () => {
    const schema = testSchemaName();
    onTestFinished(() => dropTestSchema(schema));
    const storage = await openPostgresStorage({ url: postgresTestUrl, schema });
    onTestFinished(() => storage.close());
    await storage.migrate();
    await commitPush(storage, IDENTITY_A, "notes", 1, [makeRecord("a", 1)]);
    const tables = await withTestClient(async (client) => {
      const { rows } = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
        [schema],
      );
      return rows.map((row) => row.table_name);
    });
    expect(tables).toEqual(["dataset_merges", "datasets", "group_members", "identities", "logins", "mutations", "pools", "push_dataset_subscriptions", "push_devices", "records", "schema_migrations", "server_keys", "stream_bulk_publish", "stream_checkpoints", "stream_dead_letters", "stream_events", "stream_leases", "stream_shards", "user_pool_attributes", "user_pool_auth_events", "user_pool_codes", "user_pool_group_members", "user_pool_groups", "user_pool_mfa_options", "user_pool_password_history", "user_pool_refresh_tokens", "user_pool_sessions", "user_pool_sign_in_failures", "user_pool_totp", "user_pool_used_sessions", "user_pool_users", "user_pool_webauthn_credentials"]);
  });

  it("keeps its schema when the URL carries startup options of its own", async () => {
    const schema = await createTestSchema();
    onTestFinished(() => dropTestSchema(schema));
    const url = `${postgresTestUrl}${postgresTestUrl.includes("?") ? "&" : "?"}options=-c%20statement_timeout%3D5000`;
    const storage = await openPostgresStorage({ url, schema });
    onTestFinished(() => storage.close());
    await storage.migrate();
    await storage.pools.savePool({ id: "default", settings: {}, createdAt: 1 });
    const pools = await withTestClient(async (client) => (await client.query(`SELECT id FROM ${schema}.pools`)).rows);
    expect(pools).toEqual([{ id: "default" }]);
  });

  it("refuses schema names that would need quoting and pool sizes below 2", async () => {
    await expect(openPostgresStorage({ url: postgresTestUrl, schema: "Robert'); DROP TABLE x;--" })).rejects.toThrow(/schema name/);
    await expect(openPostgresStorage({ url: postgresTestUrl, poolSize: 1 })).rejects.toThrow(/poolSize/);
  });

  it("opens PostgreSQL, migrated, through openStorage with a postgres URL", async () => {
    const schema = await createTestSchema();
    onTestFinished(() => dropTestSchema(schema));
    const storage = await openStorage({ dataDir: "/nonexistent", databaseUrl: postgresTestUrl, postgresSchema: schema });
    onTestFinished(() => storage.close());
    expect(storage.kind).toBe("postgres");
    await storage.pools.savePool({ id: "default", settings: { guestsAllowed: true }, createdAt: 1 });
    expect(await storage.pools.listPools()).toEqual([{ id: "default", settings: { guestsAllowed: true }, createdAt: 1 }]);
  });

  it("names the database URL, without its password, when openStorage cannot migrate", async () => {
    const url = new URL(postgresTestUrl);
    url.password = "hunter2";
    url.pathname = "/syncpool_no_such_database";
    const opening = openStorage({ dataDir: "/nonexistent", databaseUrl: url.toString().replace(/^postgres:/, "postgresql:") });
    await expect(opening).rejects.toThrow(/PostgreSQL storage at postgresql:\/\/.*:\*\*\*@.*syncpool_no_such_database/);
    await expect(opening).rejects.not.toThrow(/hunter2/);
  });

  it("sends the statements queued on a client in one turn in one socket write, and answers each in order", async () => {
    const client = new pg.Client({ connectionString: postgresTestUrl, pipeline: true });
    await client.connect();
    onTestFinished(() => client.end());
    const socket = client.connection.stream as Socket;
    let writes = 0;
    const write = socket._write.bind(socket);
    const writev = socket._writev?.bind(socket);
    socket._write = (...args) => (writes++, write(...args));
    if (writev) socket._writev = (...args) => (writes++, writev(...args));

    const session = postgresSession(client);
    const answers = Promise.all([1, 2, 3].map((n) => session.get<{ n: number }>(sql`SELECT ${n}::int AS n`)));
    // A statement queued in a later turn (after the answers came) is a write of its own.
    const later = (async () => {
      await answers;
      return session.get<{ n: number }>(sql`SELECT 4::int AS n`);
    })();

    expect(await answers).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(writes).toBe(1);
    expect(await later).toEqual({ n: 4 });
    expect(writes).toBe(2);
  });

  it("answers concurrent status and subscribed-device reads in shared statements, each caller its own, as committed before it asked", async () => {
    const storage = await openMigrated();
    const ids = Array.from({ length: 12 }, (_, index) => `local:00000000-0000-4000-8000-${String(index).padStart(12, "0")}`);
    const missing = "local:00000000-0000-4000-8000-999999999999";
    for (const [index, id] of ids.entries()) {
      await storage.identities.createIdentityWithLogins({ id, poolId: "default", secretHash: null, createdAt: BASE_MS }, []);
      const device = { identityId: id, deviceId: `phone-${index}`, poolId: "default", platform: "WEBHOOK" as const, url: "https://gateway.example/push" };
      await storage.devices.saveDevice({ ...device, p256dh: null, auth: null, token: `token-${index}`, createdAt: BASE_MS, updatedAt: BASE_MS });
      await storage.devices.subscribeDevice(id, `phone-${index}`, "notes", BASE_MS);
    }
    await storage.identities.disableIdentity(ids[0]!, BASE_MS + 1);

    let statements = 0;
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      statements++;
      return (query as (...args: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    onTestFinished(() => void (pg.Client.prototype.query = query));
    const [statuses, devices] = await Promise.all([
      Promise.all([...ids, missing].map((id) => storage.identities.getIdentityStatus(id))),
      Promise.all([...ids, missing].map((id) => storage.devices.listSubscribedDevices(id, "notes"))),
    ]);
    pg.Client.prototype.query = query;

    expect(statuses.map((status) => status && [status.id, status.disabledAt])).toEqual([[ids[0], BASE_MS + 1], ...ids.slice(1).map((id) => [id, null]), null]);
    expect(devices.map((list) => list.map((device) => [device.identityId, device.token]))).toEqual([...ids.map((id, index) => [[id, `token-${index}`]]), []]);
    // 26 callers, two batches of each kind on their way at a time: the first two callers of a kind go at once, the rest together.
    expect(statements).toBeLessThanOrEqual(6);
  });
});
