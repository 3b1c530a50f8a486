/**
 * The PostgreSQL adapter's `DatasetWriteTx`: statements on one pooled client inside the
 * READ COMMITTED transaction that `writeDataset` (in `postgres.ts`) opened and will end.
 *
 * Locks, always in this order so two transactions can never wait on each other in a cycle:
 * 1. the dataset's advisory lock, taken by `lock` before the dataset row is read;
 * 2. the identity's advisory lock, taken by `countLiveDatasets` and by a `saveDataset` that
 *    creates or revives a dataset, so dataset creation per identity is serialized across servers.
 * Both are transaction-scoped: COMMIT or ROLLBACK releases them, a crashed server's too.
 */
import type pg from "pg";
import type { SyncRecord } from "../../core/types.js";
import {
  RECORD_COLUMNS,
  decodeText,
  encodeNullable,
  encodeText,
  fromRecordRow,
  keyHash,
  postgresSession,
  selectDataset,
} from "./postgres-rows.js";
import type { DatasetRow, DatasetWriteTx, MutationRow } from "./storage.js";
import { appendStreamEvent } from "./sql-stream.js";
import type { AppendEventInput, AppendedEvent } from "./stream-store.js";

/**
 * The handle `writeDataset` passes to its callback. It works only while the callback runs: once
 * the transaction ended its client is back in the pool serving someone else, so every method of a
 * leaked handle throws instead.
 */
export class PostgresDatasetTx implements DatasetWriteTx {
  #active = true;
  #identityLocked = false;

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly schema: string,
    private readonly identityId: string,
    private readonly name: string,
    readonly dataset: DatasetRow | null,
  ) {}

  /**
   * Takes the dataset's lock inside the transaction already begun on `client`, then reads its
   * row. An advisory lock rather than `SELECT … FOR UPDATE`: the first push to a dataset has no
   * row to lock, and an insert-first would have to undo itself when the push fails. The row is
   * read by a later statement, so in READ COMMITTED it sees the previous holder's commit.
   */
  static async lock(client: pg.PoolClient, schema: string, identityId: string, name: string): Promise<PostgresDatasetTx> {
    // Two int4 keys: (schema + identity, dataset). A hash collision only makes two datasets share
    // a queue; the schema keeps deployments (and tests) sharing one database out of each other's way.
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", [`${schema}.${identityId}`, name]);
    return new PostgresDatasetTx(client, schema, identityId, name, await selectDataset(client, identityId, name));
  }

  /** Called by `writeDataset` as the transaction commits or rolls back; the handle is dead after. */
  end(): void {
    this.#active = false;
  }

  async countLiveDatasets(): Promise<number> {
    this.#assertActive();
    // The count is the basis for creating a dataset under the per-identity limit, so it must stay
    // true until commit: hold the identity lock first, then count in a fresh statement snapshot.
    await this.#lockIdentity();
    const { rows } = await this.client.query<{ n: number }>(
      "SELECT count(*) AS n FROM datasets WHERE identity_id = $1 AND NOT deleted",
      [this.identityId],
    );
    return rows[0]!.n;
  }

  async getRecords(keys: readonly string[]): Promise<Map<string, SyncRecord>> {
    this.#assertActive();
    if (keys.length === 0) return new Map();
    const { rows } = await this.client.query<SyncRecord>(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE identity_id = $1 AND dataset = $2 AND key_hash = ANY($3::bytea[])`,
      [this.identityId, this.name, keys.map((key) => keyHash(encodeText(key)))],
    );
    return new Map(rows.map((row) => fromRecordRow(row)).map((record) => [record.key, record]));
  }

  async getAllRecords(): Promise<SyncRecord[]> {
    this.#assertActive();
    const { rows } = await this.client.query<SyncRecord>(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE identity_id = $1 AND dataset = $2 ORDER BY key`,
      [this.identityId, this.name],
    );
    return rows.map((row) => fromRecordRow(row));
  }

  async getMutation(deviceId: string, mutationId: string): Promise<string | null> {
    this.#assertActive();
    const { rows } = await this.client.query<{ resultJson: string }>(
      `SELECT result_json AS "resultJson" FROM mutations WHERE identity_id = $1 AND device_id = $2 AND mutation_id = $3`,
      [this.identityId, encodeText(deviceId), encodeText(mutationId)],
    );
    return rows[0] ? decodeText(rows[0].resultJson) : null;
  }

  async saveDataset(row: DatasetRow): Promise<void> {
    this.#assertActive();
    if (row.identityId !== this.identityId || row.name !== this.name) {
      throw new Error(`saveDataset got ${row.identityId}/${row.name} inside the transaction of ${this.identityId}/${this.name}`);
    }
    // Creating or reviving a dataset changes the identity's live count: serialize it with every
    // transaction that counts, even when this caller did not count first.
    if (!row.deleted && (!this.dataset || this.dataset.deleted)) await this.#lockIdentity();
    await this.client.query(
      `INSERT INTO datasets (identity_id, name, sync_count, record_count, size_bytes, conflict_strategy, created_at,
         last_modified_at, last_modified_by, deleted, deleted_at_sync_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (identity_id, name) DO UPDATE SET sync_count = excluded.sync_count,
         record_count = excluded.record_count, size_bytes = excluded.size_bytes,
         conflict_strategy = excluded.conflict_strategy, created_at = excluded.created_at,
         last_modified_at = excluded.last_modified_at, last_modified_by = excluded.last_modified_by,
         deleted = excluded.deleted, deleted_at_sync_count = excluded.deleted_at_sync_count`,
      [
        row.identityId,
        row.name,
        row.syncCount,
        row.recordCount,
        row.sizeBytes,
        row.conflictStrategy,
        row.createdAt,
        row.lastModifiedAt,
        encodeNullable(row.lastModifiedBy),
        row.deleted,
        row.deletedAtSyncCount,
      ],
    );
  }

  async saveRecords(records: readonly SyncRecord[]): Promise<void> {
    this.#assertActive();
    // One statement for the batch. A key given twice keeps its last record, as one-by-one upserts
    // would (a single INSERT … ON CONFLICT may not touch the same row twice).
    const batch = [...new Map(records.map((record) => [record.key, record])).values()];
    if (batch.length === 0) return;
    const keys = batch.map((record) => encodeText(record.key));
    await this.client.query(
      `INSERT INTO records (identity_id, dataset, key_hash, key, value, kind, sync_count, clock, last_modified_by,
         last_modified_at, device_last_modified_at, deleted)
       SELECT $1, $2, batch.* FROM unnest($3::bytea[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[],
         $9::text[], $10::bigint[], $11::bigint[], $12::boolean[]) AS batch
       ON CONFLICT (identity_id, dataset, key_hash) DO UPDATE SET key = excluded.key, value = excluded.value,
         kind = excluded.kind, sync_count = excluded.sync_count, clock = excluded.clock,
         last_modified_by = excluded.last_modified_by, last_modified_at = excluded.last_modified_at,
         device_last_modified_at = excluded.device_last_modified_at, deleted = excluded.deleted`,
      [
        this.identityId,
        this.name,
        keys.map(keyHash),
        keys,
        batch.map((record) => encodeNullable(record.value)),
        batch.map((record) => record.kind),
        batch.map((record) => record.syncCount),
        batch.map((record) => encodeText(record.clock)),
        batch.map((record) => encodeText(record.lastModifiedBy)),
        batch.map((record) => record.lastModifiedAt),
        batch.map((record) => record.deviceLastModifiedAt),
        batch.map((record) => record.deleted),
      ],
    );
  }

  async deleteAllRecords(): Promise<void> {
    this.#assertActive();
    await this.client.query("DELETE FROM records WHERE identity_id = $1 AND dataset = $2", [this.identityId, this.name]);
  }

  async saveMutation(row: Omit<MutationRow, "identityId">): Promise<void> {
    this.#assertActive();
    await this.client.query(
      `INSERT INTO mutations (identity_id, device_id, mutation_id, dataset, result_json, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [this.identityId, encodeText(row.deviceId), encodeText(row.mutationId), row.dataset, encodeText(row.resultJson), row.createdAt],
    );
  }

  async appendEvent(event: AppendEventInput): Promise<AppendedEvent> {
    this.#assertActive();
    return appendStreamEvent(postgresSession(this.client), event);
  }

  async #lockIdentity(): Promise<void> {
    if (this.#identityLocked) return;
    // One int8 key: a different key space from the dataset locks' (int4, int4) pairs.
    await this.client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
      `syncpool.datasets.${this.schema}.${this.identityId}`,
    ]);
    this.#identityLocked = true;
  }

  #assertActive(): void {
    if (!this.#active) throw new Error("This dataset write transaction has already ended");
  }
}
