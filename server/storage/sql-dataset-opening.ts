/**
 * The opening reads of a PostgreSQL dataset write (`SqlDatasetStore.writeDataset`) in one
 * statement, as SQLite's are (`sql-datasets.ts`): the identity's status, the dataset's row, the
 * remembered answer of the push's mutation and the stored records of its keys. They open every
 * push; as four statements they cost PostgreSQL four executions and four answers, and the server
 * four results to parse.
 *
 * The identity's row is read `FOR KEY SHARE` (`postgres-locks.ts` says why). In one statement the
 * other reads share the statement's snapshot, taken before that lock is granted, where four
 * statements took theirs after it. That lock waits only for a merge of this identity away (a
 * group commit already holds it for its members), and the statement then returns the row as the
 * merge left it, disabled: the push is refused and what the older snapshot read is never used.
 * The other rows cannot change meanwhile: the caller holds the dataset's lock.
 */
import { identityDisabled } from "./identity-store.js";
import type { DatasetPrefetch } from "./sql-dataset-prefetch.js";
import { type DatasetSqlRow, type DatasetTxDriver, type RecordSqlRow, SqlDatasetTx } from "./sql-dataset-tx.js";
import { type SqlSession, sql } from "./sql.js";

/** Every column may be null: a left join to a row that is not there. */
type Nullable<Row> = { [K in keyof Row]: Row[K] | null };

/** One row of the opening statement: the status, answer and dataset row repeated on each record found, or alone. */
type OpeningRow = { disabledAt: number | null; mergedInto: string | null; resultJson: string | null } & Nullable<DatasetSqlRow> & {
  recordKey: string | null;
  recordValue: string | null;
  recordKind: RecordSqlRow["kind"] | null;
  recordSyncCount: number;
  recordClock: string;
  recordLastModifiedBy: string;
  recordLastModifiedAt: number;
  recordDeviceLastModifiedAt: number;
  recordDeleted: boolean;
};

/**
 * Opens a PostgreSQL dataset write on `session`, whose transaction holds the dataset's lock: a
 * disabled or merged identity writes nothing (identities never stored, in storage tests, are not
 * refused). One template whatever was named (no mutation reads no answer, no keys no records),
 * so the statement is prepared once per connection.
 */
export async function openPostgresWrite(
  session: SqlSession,
  driver: DatasetTxDriver,
  identityId: string,
  name: string,
  options: DatasetPrefetch,
): Promise<SqlDatasetTx> {
  const { mutation, recordKeys = [] } = options;
  const hashes = driver.keyHash ? recordKeys.map(driver.keyHash) : [];
  const rows = await session.all<OpeningRow>(sql`
    SELECT s.disabled_at AS "disabledAt", s.merged_into AS "mergedInto",
      (SELECT result_json FROM mutations WHERE identity_id = ${identityId} AND device_id = ${mutation?.deviceId ?? null}
        AND mutation_id = ${mutation?.mutationId ?? null}) AS "resultJson",
      d.identity_id AS "identityId", d.name, d.sync_count AS "syncCount", d.record_count AS "recordCount", d.size_bytes AS "sizeBytes",
      d.conflict_strategy AS "conflictStrategy", d.created_at AS "createdAt", d.last_modified_at AS "lastModifiedAt",
      d.last_modified_by AS "lastModifiedBy", d.deleted, d.deleted_at_sync_count AS "deletedAtSyncCount",
      r.key AS "recordKey", r.value AS "recordValue", r.kind AS "recordKind", r.sync_count AS "recordSyncCount", r.clock AS "recordClock",
      r.last_modified_by AS "recordLastModifiedBy", r.last_modified_at AS "recordLastModifiedAt",
      r.device_last_modified_at AS "recordDeviceLastModifiedAt", r.deleted AS "recordDeleted"
    FROM (SELECT 1) one
    LEFT JOIN (SELECT disabled_at, merged_into FROM identities WHERE id = ${identityId} FOR KEY SHARE) s ON true
    LEFT JOIN datasets d ON d.identity_id = ${identityId} AND d.name = ${name}
    LEFT JOIN records r ON r.identity_id = ${identityId} AND r.dataset = ${name} AND r.key_hash = ANY(${hashes}::bytea[])`);
  const head = rows[0]!;
  if (head.disabledAt !== null) throw identityDisabled(head);
  const dataset = head.identityId === null ? null : datasetOf(head);
  const remembered = mutation ? { deviceId: mutation.deviceId, mutationId: mutation.mutationId, resultJson: head.resultJson } : null;
  const records = rows.flatMap((row) => (row.recordKey === null ? [] : [recordOf(row)]));
  return SqlDatasetTx.pipelined(session, driver, identityId, name, dataset, remembered, hashes.length > 0 ? { records: { keys: recordKeys, rows: records } } : {});
}

function datasetOf(row: OpeningRow): DatasetSqlRow {
  const { identityId, name, syncCount, recordCount, sizeBytes, conflictStrategy, createdAt, lastModifiedAt, lastModifiedBy, deleted, deletedAtSyncCount } = row;
  return { identityId, name, syncCount, recordCount, sizeBytes, conflictStrategy, createdAt, lastModifiedAt, lastModifiedBy, deleted, deletedAtSyncCount } as DatasetSqlRow;
}

function recordOf(row: OpeningRow): RecordSqlRow {
  return {
    key: row.recordKey!,
    value: row.recordValue,
    kind: row.recordKind!,
    syncCount: row.recordSyncCount,
    clock: row.recordClock,
    lastModifiedBy: row.recordLastModifiedBy,
    lastModifiedAt: row.recordLastModifiedAt,
    deviceLastModifiedAt: row.recordDeviceLastModifiedAt,
    deleted: row.recordDeleted,
  };
}
