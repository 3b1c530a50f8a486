/**
 * The `DatasetStore` (`dataset-store.ts`) of both backends, written once as SQL (`sql.ts`) on the
 * tables of migration 1 (`dataset-migrations.ts`); the write handle is `SqlDatasetTx`
 * (`sql-dataset-tx.ts`). What differs per backend its driver supplies (`DatasetConnections`): how
 * the writers of one dataset are serialized, and how a consistent read is taken. Free text crosses
 * PostgreSQL's session through its U+0000 codec. Reads of records run on every pull: plain
 * templates, and no promise on SQLite (`SqlSession.now`).
 */
import type { DatasetRow, DatasetStore, DatasetWriteOptions, DatasetWriteTx, ReadRecordsOptions, RecordsSnapshot } from "./dataset-store.js";
import { type SqlConnections, type SqlSession, type SqlSessionNow, sql } from "./sql.js";
import {
  type DatasetSqlRow,
  type DatasetTxDriver,
  type RecordSqlRow,
  SqlDatasetTx,
  selectDataset,
  selectLiveDatasets,
  toDatasetRow,
  toRecord,
} from "./sql-dataset-tx.js";
import { identityDisabled } from "./identity-store.js";
import { openPostgresWrite } from "./sql-dataset-opening.js";

/** How the store reaches its backend: the sub-store connections, plus the dataset lock and read snapshot. */
export interface DatasetConnections extends SqlConnections {
  /**
   * Runs `fn` in a write transaction as the only writer of (identityId, dataset) in every process
   * on the database. Each statement of `fn` sees every earlier writer's writes. Commits when `fn`
   * resolves, rolls back when it throws; SQLite may commit it together with other writers'
   * transactions (group commit, each still all or nothing), and resolves only once it committed;
   * PostgreSQL does the same for writes naming one `options.streamShard`.
   */
  datasetTransaction<T>(identityId: string, dataset: string, fn: (session: SqlSession) => Promise<T>, options?: DatasetWriteOptions): Promise<T>;
  /**
   * Runs `fn`'s reads in one snapshot. On SQLite they must run through `session.now`, before `fn`'s
   * first `await`: the snapshot ends as `fn` returns its promise.
   */
  snapshot<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  readonly datasetTx: DatasetTxDriver;
}


/** `DatasetStore` over either backend. */
export class SqlDatasetStore implements DatasetStore {
  constructor(private readonly db: DatasetConnections) {}

  getDataset(identityId: string, name: string): Promise<DatasetRow | null> {
    return this.db.read(async (session) => {
      const row = await session.get<DatasetSqlRow>(selectDataset(identityId, name));
      return row ? toDatasetRow(row) : null;
    });
  }

  listDatasets(identityId: string): Promise<DatasetRow[]> {
    return this.db.read((session) => selectLiveDatasets(session, identityId));
  }

  readRecords(identityId: string, dataset: string, options: ReadRecordsOptions): Promise<RecordsSnapshot> {
    const { sinceSyncCount, after, limit } = options;
    // Only one bound is ever needed: an `after` past sinceSyncCount implies it, one at or before it
    // is implied by it. A lone bound is a single range scan of records_by_sync_count (on PostgreSQL
    // the index stops at sync_count, and the planner sorts each sync count's few records by key).
    const page =
      after && after.syncCount > sinceSyncCount
        ? sql`
          SELECT key, value, kind, sync_count AS "syncCount", clock, last_modified_by AS "lastModifiedBy",
            last_modified_at AS "lastModifiedAt", device_last_modified_at AS "deviceLastModifiedAt", deleted
          FROM records WHERE identity_id = ${identityId} AND dataset = ${dataset} AND (sync_count, key) > (${after.syncCount}, ${after.key})
          ORDER BY sync_count, key LIMIT ${limit}`
        : sql`
          SELECT key, value, kind, sync_count AS "syncCount", clock, last_modified_by AS "lastModifiedBy",
            last_modified_at AS "lastModifiedAt", device_last_modified_at AS "deviceLastModifiedAt", deleted
          FROM records WHERE identity_id = ${identityId} AND dataset = ${dataset} AND sync_count > ${sinceSyncCount}
          ORDER BY sync_count, key LIMIT ${limit}`;
    // One snapshot: the row and the page come from the same commit.
    return this.db.snapshot(async (session) => {
      const head = selectDataset(identityId, dataset);
      const row = session.now ? session.now.get<DatasetSqlRow>(head) : await session.get<DatasetSqlRow>(head);
      const records = session.now ? session.now.all<RecordSqlRow>(page) : await session.all<RecordSqlRow>(page);
      return { dataset: row ? toDatasetRow(row) : null, records: records.map(toRecord) };
    });
  }

  syncCountBeforeChangesSince(identityId: string, dataset: string, sinceMs: number): Promise<number> {
    // The MIN is an index-only range scan of records_by_change_time over the records changed since.
    return this.db.read(async (session) => {
      const row = await session.get<{ syncCount: number }>(sql`
        SELECT COALESCE(
          (SELECT MIN(sync_count) - 1 FROM records WHERE identity_id = ${identityId} AND dataset = ${dataset} AND last_modified_at >= ${sinceMs}),
          (SELECT sync_count FROM datasets WHERE identity_id = ${identityId} AND name = ${dataset}),
          0) AS "syncCount"`);
      return row?.syncCount ?? 0;
    });
  }

  writeDataset<T>(identityId: string, dataset: string, fn: (tx: DatasetWriteTx) => Promise<T>, options?: DatasetWriteOptions): Promise<T> {
    return this.db.datasetTransaction(identityId, dataset, async (session) => {
      const tx = session.now
        ? openSqliteWrite(session, session.now, this.db.datasetTx, identityId, dataset, options?.mutation)
        : await openPostgresWrite(session, this.db.datasetTx, identityId, dataset, options ?? {});
      try {
        const value = await fn(tx);
        if (!session.now) await tx.flush(); // its deferred writes, answered before the transaction commits
        return value;
      } finally {
        tx.end();
      }
    }, options);
  }

  purgeMutations(beforeMs: number): Promise<number> {
    return this.db.write((session) => session.run(sql`DELETE FROM mutations WHERE created_at < ${beforeMs}`));
  }
}

type OpeningRow = { disabledAt: number | null; mergedInto: string | null; resultJson: string | null } & (DatasetSqlRow | { [K in keyof DatasetSqlRow]: null });

/**
 * Opens a dataset write on SQLite, whose statements run at once: the identity's status, the
 * dataset's row and the remembered answer of `mutation` in one statement, since these lookups open
 * every push (PostgreSQL's: `sql-dataset-opening.ts`). The status is read inside the transaction,
 * after the dataset's lock: a disabled or merged identity writes nothing, even a push that was
 * already waiting when the merge committed. Identities that were never stored (storage tests) are
 * not refused.
 */
function openSqliteWrite(
  session: SqlSession,
  now: SqlSessionNow,
  driver: DatasetTxDriver,
  identityId: string,
  dataset: string,
  mutation: { deviceId: string; mutationId: string } | undefined,
): SqlDatasetTx {
  const row = now.get<OpeningRow>(sql`
    SELECT i.disabled_at AS "disabledAt", i.merged_into AS "mergedInto", m.result_json AS "resultJson",
      d.identity_id AS "identityId", d.name, d.sync_count AS "syncCount", d.record_count AS "recordCount", d.size_bytes AS "sizeBytes",
      d.conflict_strategy AS "conflictStrategy", d.created_at AS "createdAt", d.last_modified_at AS "lastModifiedAt",
      d.last_modified_by AS "lastModifiedBy", d.deleted, d.deleted_at_sync_count AS "deletedAtSyncCount"
    FROM (SELECT 1) one
    LEFT JOIN identities i ON i.id = ${identityId}
    LEFT JOIN datasets d ON d.identity_id = ${identityId} AND d.name = ${dataset}
    LEFT JOIN mutations m ON m.identity_id = ${identityId} AND m.device_id = ${mutation?.deviceId ?? null}
      AND m.mutation_id = ${mutation?.mutationId ?? null}`)!;
  if (row.disabledAt !== null) throw identityDisabled(row);
  const { disabledAt: _disabledAt, mergedInto: _mergedInto, resultJson, ...datasetRow } = row;
  const remembered = mutation ? { deviceId: mutation.deviceId, mutationId: mutation.mutationId, resultJson } : null;
  const stored = datasetRow.identityId === null ? null : (datasetRow as DatasetSqlRow);
  return SqlDatasetTx.opened(session, driver, identityId, dataset, stored, remembered);
}
