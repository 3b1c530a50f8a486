/**
 * The SQLite adapter's `DatasetWriteTx`: statements on the writer connection inside the
 * `BEGIN IMMEDIATE` transaction that `writeDataset` (in `sqlite.ts`) opened and will end.
 */
import type { SyncRecord } from "../../core/types.js";
import { type Db, RECORD_COLUMNS, type Stored, fromStored, selectDataset, sql, sqliteSession, toStored } from "./sqlite-rows.js";
import type { DatasetRow, DatasetWriteTx, MutationRow } from "./storage.js";
import { appendStreamEvent } from "./sql-stream.js";
import type { AppendEventInput, AppendedEvent } from "./stream-store.js";

/**
 * The handle `writeDataset` passes to its callback. It works only while the callback runs: once
 * the transaction ended, a leaked handle would otherwise write into the next caller's transaction
 * (or outside any), so every method then throws.
 */
export class SqliteDatasetTx implements DatasetWriteTx {
  readonly dataset: DatasetRow | null;
  #active = true;

  constructor(
    private readonly db: Db,
    private readonly identityId: string,
    private readonly name: string,
  ) {
    this.dataset = selectDataset(db, identityId, name);
  }

  /** Called by `writeDataset` as the transaction commits or rolls back; the handle is dead after. */
  end(): void {
    this.#active = false;
  }

  async countLiveDatasets(): Promise<number> {
    this.#assertActive();
    return sql<{ n: number }>(this.db, "SELECT count(*) AS n FROM datasets WHERE identity_id = ? AND deleted = 0").get(
      this.identityId,
    )!.n;
  }

  async getRecords(keys: readonly string[]): Promise<Map<string, SyncRecord>> {
    this.#assertActive();
    const rows = sql<Stored<SyncRecord>>(
      this.db,
      `SELECT ${RECORD_COLUMNS} FROM records
       WHERE identity_id = ? AND dataset = ? AND key IN (SELECT value FROM json_each(?))`,
    ).all(this.identityId, this.name, JSON.stringify(keys));
    return new Map(rows.map((row) => [row.key, fromStored(row)]));
  }

  async getAllRecords(): Promise<SyncRecord[]> {
    this.#assertActive();
    return sql<Stored<SyncRecord>>(
      this.db,
      `SELECT ${RECORD_COLUMNS} FROM records WHERE identity_id = ? AND dataset = ? ORDER BY key`,
    )
      .all(this.identityId, this.name)
      .map((row) => fromStored(row));
  }

  async getMutation(deviceId: string, mutationId: string): Promise<string | null> {
    this.#assertActive();
    const row = sql<{ resultJson: string }>(
      this.db,
      "SELECT result_json AS resultJson FROM mutations WHERE identity_id = ? AND device_id = ? AND mutation_id = ?",
    ).get(this.identityId, deviceId, mutationId);
    return row?.resultJson ?? null;
  }

  async saveDataset(row: DatasetRow): Promise<void> {
    this.#assertActive();
    if (row.identityId !== this.identityId || row.name !== this.name) {
      throw new Error(`saveDataset got ${row.identityId}/${row.name} inside the transaction of ${this.identityId}/${this.name}`);
    }
    sql(
      this.db,
      `INSERT INTO datasets (identity_id, name, sync_count, record_count, size_bytes, conflict_strategy, created_at,
         last_modified_at, last_modified_by, deleted, deleted_at_sync_count)
       VALUES (@identityId, @name, @syncCount, @recordCount, @sizeBytes, @conflictStrategy, @createdAt,
         @lastModifiedAt, @lastModifiedBy, @deleted, @deletedAtSyncCount)
       ON CONFLICT (identity_id, name) DO UPDATE SET sync_count = excluded.sync_count,
         record_count = excluded.record_count, size_bytes = excluded.size_bytes,
         conflict_strategy = excluded.conflict_strategy, created_at = excluded.created_at,
         last_modified_at = excluded.last_modified_at, last_modified_by = excluded.last_modified_by,
         deleted = excluded.deleted, deleted_at_sync_count = excluded.deleted_at_sync_count`,
    ).run(toStored(row));
  }

  async saveRecords(records: readonly SyncRecord[]): Promise<void> {
    this.#assertActive();
    const upsert = sql(
      this.db,
      `INSERT INTO records (identity_id, dataset, key, value, kind, sync_count, clock, last_modified_by,
         last_modified_at, device_last_modified_at, deleted)
       VALUES (@identityId, @dataset, @key, @value, @kind, @syncCount, @clock, @lastModifiedBy,
         @lastModifiedAt, @deviceLastModifiedAt, @deleted)
       ON CONFLICT (identity_id, dataset, key) DO UPDATE SET value = excluded.value, kind = excluded.kind,
         sync_count = excluded.sync_count, clock = excluded.clock, last_modified_by = excluded.last_modified_by,
         last_modified_at = excluded.last_modified_at, device_last_modified_at = excluded.device_last_modified_at,
         deleted = excluded.deleted`,
    );
    for (const record of records) upsert.run({ ...toStored(record), identityId: this.identityId, dataset: this.name });
  }

  async deleteAllRecords(): Promise<void> {
    this.#assertActive();
    sql(this.db, "DELETE FROM records WHERE identity_id = ? AND dataset = ?").run(this.identityId, this.name);
  }

  async saveMutation(row: Omit<MutationRow, "identityId">): Promise<void> {
    this.#assertActive();
    sql(
      this.db,
      `INSERT INTO mutations (identity_id, device_id, mutation_id, dataset, result_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(this.identityId, row.deviceId, row.mutationId, row.dataset, row.resultJson, row.createdAt);
  }

  async appendEvent(event: AppendEventInput): Promise<AppendedEvent> {
    this.#assertActive();
    return appendStreamEvent(sqliteSession(this.db), event);
  }

  #assertActive(): void {
    if (!this.#active) throw new Error("This dataset write transaction has already ended");
  }
}
