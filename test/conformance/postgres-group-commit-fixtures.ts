/**
 * What the PostgreSQL group-commit conformance files share: writes in one stream shard's group,
 * the sessions holding dataset locks, gates a test opens, and a freshly migrated storage per test.
 */
import { onTestFinished } from "vitest";
import type { DatasetWriteTx, Storage } from "../../server/storage/storage.js";
import type { PostgresStorage } from "../../server/storage/postgres.js";
import { openTestPostgresStorage, withTestClient } from "../helpers/postgres.js";
import { makeDataset, makeRecord } from "./storage-fixtures.js";

export const SHARD = "pool/0";

/** Appends a change event of `name` to the test shard, as a push's last step does. */
export function appendEvent(tx: DatasetWriteTx, identityId: string, name: string) {
  return tx.appendEvent({ poolId: "pool", shard: 0, partitionKey: identityId, arrivedAt: 1, data: JSON.stringify({ name }) });
}

/** A write in the test shard's group: saves one record, bumps the dataset's count, appends its event; `refuse` then throws. */
export function write(storage: Storage, identityId: string, name: string, events: string[], refuse?: Error): Promise<string> {
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
export function datasetLockHolders(schema: string, datasets: Array<[string, string]>): Promise<number[]> {
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
export function waitsForHolder(schema: string, identityId: string, name: string): Promise<boolean> {
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
export function gate(): { open: () => void; passed: Promise<void> } {
  let open!: () => void;
  const passed = new Promise<void>((resolve) => (open = resolve));
  return { open, passed };
}

export const eventNames = async (storage: Storage) =>
  (await storage.stream.readStreamEvents("pool", 0, 1, 100)).map((event) => [event.sequence, (JSON.parse(event.data) as { name: string }).name]);

/** A storage on a fresh schema (or `schema`), migrated, closed when the test ends. */
export async function openMigrated(schema?: string): Promise<PostgresStorage> {
  const { storage, cleanup } = await openTestPostgresStorage(schema ? { schema } : {});
  onTestFinished(cleanup);
  await storage.migrate();
  return storage;
}
