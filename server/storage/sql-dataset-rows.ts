/**
 * The dataset and record rows as both backends answer them, and the statements that read them,
 * shared by the write handle (`sql-dataset-tx.ts`) and the store's reads (`sql-datasets.ts`).
 */
import type { SyncRecord } from "../../core/types.js";
import type { DatasetRow } from "./dataset-store.js";
import { type SqlQuery, type SqlSession, sql } from "./sql.js";

/** A dataset row as either backend answers it: SQLite keeps booleans as 0/1. */
export type DatasetSqlRow = Omit<DatasetRow, "deleted"> & { deleted: boolean | 0 | 1 };
export type RecordSqlRow = Omit<SyncRecord, "deleted"> & { deleted: boolean | 0 | 1 };

/** A remembered answer looked up before it was asked for: null when none is stored. */
export interface RememberedLookup {
  deviceId: string;
  mutationId: string;
  resultJson: string | null;
}

/** Back to the interface's shape. */
export const toDatasetRow = (row: DatasetSqlRow): DatasetRow => ({ ...row, deleted: row.deleted === true || row.deleted === 1 });
export const toRecord = (row: RecordSqlRow): SyncRecord => ({ ...row, deleted: row.deleted === true || row.deleted === 1 });

export const selectDataset = (identityId: string, name: string): SqlQuery => sql`
  SELECT identity_id AS "identityId", name, sync_count AS "syncCount", record_count AS "recordCount", size_bytes AS "sizeBytes",
    conflict_strategy AS "conflictStrategy", created_at AS "createdAt", last_modified_at AS "lastModifiedAt",
    last_modified_by AS "lastModifiedBy", deleted, deleted_at_sync_count AS "deletedAtSyncCount"
  FROM datasets WHERE identity_id = ${identityId} AND name = ${name}`;

/** The identity's live datasets as `session` sees them now, ordered by name. */
export async function selectLiveDatasets(session: SqlSession, identityId: string): Promise<DatasetRow[]> {
  const rows = await session.all<DatasetSqlRow>(sql`
    SELECT identity_id AS "identityId", name, sync_count AS "syncCount", record_count AS "recordCount", size_bytes AS "sizeBytes",
      conflict_strategy AS "conflictStrategy", created_at AS "createdAt", last_modified_at AS "lastModifiedAt",
      last_modified_by AS "lastModifiedBy", deleted, deleted_at_sync_count AS "deletedAtSyncCount"
    FROM datasets WHERE identity_id = ${identityId} AND NOT deleted ORDER BY name`);
  return rows.map(toDatasetRow);
}

/** The remembered answer of a push. */
export const selectMutation = (identityId: string, deviceId: string, mutationId: string): SqlQuery => sql`
  SELECT result_json AS "resultJson" FROM mutations
  WHERE identity_id = ${identityId} AND device_id = ${deviceId} AND mutation_id = ${mutationId}`;

/** The records of `keys` on PostgreSQL, whose primary key holds the key's hash. */
export function selectRecordsByHash(identityId: string, name: string, keys: readonly string[], keyHash: (key: string) => Buffer): SqlQuery {
  return sql`
    SELECT key, value, kind, sync_count AS "syncCount", clock, last_modified_by AS "lastModifiedBy",
      last_modified_at AS "lastModifiedAt", device_last_modified_at AS "deviceLastModifiedAt", deleted
    FROM records WHERE identity_id = ${identityId} AND dataset = ${name} AND key_hash = ANY(${keys.map(keyHash)}::bytea[])`;
}
