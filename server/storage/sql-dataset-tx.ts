/**
 * The write handle of one dataset (`DatasetWriteTx`) for both backends, written once as SQL
 * (`sql.ts`), and the dataset and record rows as both answer them. Every dataset write transaction
 * (`SqlDatasetStore.writeDataset`, `sql-datasets.ts`) and every merge (`sql-merge-tx.ts`) hands
 * these out. What differs per backend its driver supplies (`DatasetTxDriver`): PostgreSQL's
 * identity lock and record key hash.
 *
 * Every statement here runs on every push, so each is a plain template (its text is rendered once,
 * `renderSql`) and SQLite runs it without a promise (`SqlSession.now`).
 */
import type { SyncRecord } from "../../core/types.js";
import type { DatasetRow, MutationRow } from "./dataset-store.js";
import type { EndableDatasetTx } from "./sql-merge-tx.js";
import { type SqlQuery, type SqlSession, sql } from "./sql.js";
import { appendStreamEvent } from "./sql-stream.js";
import { handled } from "./handled.js";
import { type Prefetched, sameKeys } from "./sql-dataset-prefetch.js";
import { type DatasetSqlRow, type RecordSqlRow, type RememberedLookup, selectDataset, selectMutation, selectRecordsByHash, toDatasetRow, toRecord } from "./sql-dataset-rows.js";
import type { AppendEventInput, AppendedEvent } from "./stream-store.js";

export { type DatasetSqlRow, type RecordSqlRow, type RememberedLookup, selectDataset, selectLiveDatasets, toDatasetRow, toRecord } from "./sql-dataset-rows.js";

/** What a dataset write handle needs from its backend beyond SQL. */
export interface DatasetTxDriver {
  /**
   * PostgreSQL: takes the identity's dataset-creation lock, held until the transaction ends, so a
   * count of live datasets stays true until commit across servers. Absent on SQLite, whose single
   * writer already holds it.
   */
  lockIdentity?(session: SqlSession, identityId: string): Promise<void>;
  /**
   * PostgreSQL: the records' primary key holds this hash of the key instead of the key (a btree
   * entry is capped below the longest legal key). Absent on SQLite, keyed by the key itself.
   */
  keyHash?(key: string): Buffer;
}

/** Both backends take 0/1 for a boolean: SQLite stores it, PostgreSQL's boolean input reads it. */
const flag = (value: boolean): 0 | 1 => (value ? 1 : 0);

/** A statement's rows: at once on SQLite (no promise to await), after the round trip elsewhere. */
const allRows = <Row>(session: SqlSession, query: SqlQuery): Row[] | Promise<Row[]> =>
  session.now ? session.now.all<Row>(query) : session.all<Row>(query);

/**
 * The handle a dataset write transaction passes to its callback, on the session of that
 * transaction, which holds the dataset's lock. It works only while the transaction is open: once
 * it ended, a leaked handle would write into someone else's transaction (or outside any), so every
 * method then throws.
 */
export class SqlDatasetTx implements EndableDatasetTx {
  #active = true;
  #identityLocked = false;
  /** A remembered answer read with the dataset's row (`opened`, `pipelined`), answered once by `getMutation`. */
  #remembered: RememberedLookup | null = null;
  /** Writes sent but not yet answered (`pipelined` handles only), oldest first. */
  readonly #writes: Array<Promise<unknown>> = [];
  #prefetched: Prefetched = {};

  private constructor(
    private readonly session: SqlSession,
    private readonly driver: DatasetTxDriver,
    private readonly identityId: string,
    private readonly name: string,
    readonly dataset: DatasetRow | null,
    /** Writes return once sent; their answers are awaited by the next read, or by `flush()`. */
    private readonly deferWrites = false,
  ) {}

  /** Reads the dataset's row on `session`, whose transaction already holds the dataset's lock. */
  static async open(session: SqlSession, driver: DatasetTxDriver, identityId: string, name: string): Promise<SqlDatasetTx> {
    const query = selectDataset(identityId, name);
    const row = session.now ? session.now.get<DatasetSqlRow>(query) : await session.get<DatasetSqlRow>(query);
    return new SqlDatasetTx(session, driver, identityId, name, row ? toDatasetRow(row) : null);
  }

  /**
   * The handle of a transaction that has already read the dataset's row, and perhaps the
   * remembered answer of one mutation (`sql-datasets.ts` reads both with the identity's status in
   * one SQLite statement). The first `getMutation` of that mutation answers from it.
   */
  static opened(session: SqlSession, driver: DatasetTxDriver, identityId: string, name: string, row: DatasetSqlRow | null, remembered: RememberedLookup | null): SqlDatasetTx {
    const tx = new SqlDatasetTx(session, driver, identityId, name, row ? toDatasetRow(row) : null);
    tx.#remembered = remembered;
    return tx;
  }

  /**
   * PostgreSQL's handle for one dataset write (`SqlDatasetStore.writeDataset`), on a connection
   * that pipelines, once its opening statement (`sql-dataset-opening.ts`) read the dataset's row,
   * the remembered answer of one mutation and the records of the keys the caller named, each
   * answered once, before any write. Its writes are sent without waiting for their answers, so the
   * writes of a push share a round trip with the statement after them; the server still runs every
   * statement in order. A write's failure is thrown by the next statement awaited through this
   * handle, or by `flush()`, which the caller awaits before the transaction commits.
   */
  static pipelined(session: SqlSession, driver: DatasetTxDriver, identityId: string, name: string, row: DatasetSqlRow | null, remembered: RememberedLookup | null, prefetched: Prefetched): SqlDatasetTx {
    const tx = new SqlDatasetTx(session, driver, identityId, name, row ? toDatasetRow(row) : null, true);
    tx.#remembered = remembered;
    tx.#prefetched = prefetched;
    return tx;
  }

  /** Waits for the writes sent so far; throws the first one's error. A no-op unless writes are deferred. */
  async flush(): Promise<void> {
    for (const write of this.#writes.splice(0)) await write;
  }

  /** Called as the transaction commits or rolls back; the handle is dead after. */
  end(): void {
    this.#active = false;
  }

  async countLiveDatasets(): Promise<number> {
    this.#assertActive();
    // The count is the basis for creating a dataset under the per-identity limit, so it must stay
    // true until commit: hold the identity lock first, then count in a fresh statement snapshot.
    await this.#lockIdentity();
    const rows = allRows<{ n: number }>(this.session, sql`SELECT count(*) AS n FROM datasets WHERE identity_id = ${this.identityId} AND NOT deleted`);
    return (Array.isArray(rows) ? rows : await this.#afterWrites(rows))[0]!.n;
  }

  async getRecords(keys: readonly string[]): Promise<Map<string, SyncRecord>> {
    this.#assertActive();
    if (keys.length === 0) return new Map();
    const { identityId, name, session } = this;
    const { keyHash } = this.driver;
    const prefetched = this.#prefetched.records;
    this.#prefetched.records = undefined;
    const pending = prefetched && sameKeys(prefetched.keys, keys)
      ? prefetched.rows
      : keyHash
      ? session.all<RecordSqlRow>(selectRecordsByHash(identityId, name, keys, keyHash))
      : allRows<RecordSqlRow>(session, sql`
          SELECT key, value, kind, sync_count AS "syncCount", clock, last_modified_by AS "lastModifiedBy",
            last_modified_at AS "lastModifiedAt", device_last_modified_at AS "deviceLastModifiedAt", deleted
          FROM records WHERE identity_id = ${identityId} AND dataset = ${name} AND key IN (SELECT value FROM json_each(${JSON.stringify(keys)}))`);
    const rows = Array.isArray(pending) ? pending : await this.#afterWrites(pending);
    return new Map(rows.map((row) => [row.key, toRecord(row)]));
  }

  async getAllRecords(): Promise<SyncRecord[]> {
    this.#assertActive();
    const pending = allRows<RecordSqlRow>(this.session, sql`
      SELECT key, value, kind, sync_count AS "syncCount", clock, last_modified_by AS "lastModifiedBy",
        last_modified_at AS "lastModifiedAt", device_last_modified_at AS "deviceLastModifiedAt", deleted
      FROM records WHERE identity_id = ${this.identityId} AND dataset = ${this.name} ORDER BY key`);
    const rows = Array.isArray(pending) ? pending : await this.#afterWrites(pending);
    return rows.map(toRecord);
  }

  async getMutation(deviceId: string, mutationId: string): Promise<string | null> {
    this.#assertActive();
    const remembered = this.#remembered;
    // Once only: a later lookup may follow this transaction's own saveMutation.
    this.#remembered = null;
    if (remembered && remembered.deviceId === deviceId && remembered.mutationId === mutationId) return remembered.resultJson;
    const pending = allRows<{ resultJson: string }>(this.session, selectMutation(this.identityId, deviceId, mutationId));
    const rows = Array.isArray(pending) ? pending : await this.#afterWrites(pending);
    return rows[0]?.resultJson ?? null;
  }

  async saveDataset(row: DatasetRow): Promise<void> {
    this.#assertActive();
    if (row.identityId !== this.identityId || row.name !== this.name) {
      throw new Error(`saveDataset got ${row.identityId}/${row.name} inside the transaction of ${this.identityId}/${this.name}`);
    }
    // Creating or reviving a dataset changes the identity's live count: serialize it with every
    // transaction that counts, even when this caller did not count first.
    if (!row.deleted && (!this.dataset || this.dataset.deleted)) await this.#lockIdentity();
    const query = sql`
      INSERT INTO datasets (identity_id, name, sync_count, record_count, size_bytes, conflict_strategy, created_at,
        last_modified_at, last_modified_by, deleted, deleted_at_sync_count)
      VALUES (${row.identityId}, ${row.name}, ${row.syncCount}, ${row.recordCount}, ${row.sizeBytes}, ${row.conflictStrategy},
        ${row.createdAt}, ${row.lastModifiedAt}, ${row.lastModifiedBy}, ${flag(row.deleted)}, ${row.deletedAtSyncCount})
      ON CONFLICT (identity_id, name) DO UPDATE SET sync_count = excluded.sync_count,
        record_count = excluded.record_count, size_bytes = excluded.size_bytes,
        conflict_strategy = excluded.conflict_strategy, created_at = excluded.created_at,
        last_modified_at = excluded.last_modified_at, last_modified_by = excluded.last_modified_by,
        deleted = excluded.deleted, deleted_at_sync_count = excluded.deleted_at_sync_count`;
    await this.#write(query);
  }

  async saveRecords(records: readonly SyncRecord[]): Promise<void> {
    this.#assertActive();
    const { identityId, name, session } = this;
    const { keyHash } = this.driver;
    if (!keyHash) {
      // SQLite: one prepared upsert per record, all at once inside the writer's transaction.
      for (const record of records) {
        const query = sql`
          INSERT INTO records (identity_id, dataset, key, value, kind, sync_count, clock, last_modified_by,
            last_modified_at, device_last_modified_at, deleted)
          VALUES (${identityId}, ${name}, ${record.key}, ${record.value}, ${record.kind}, ${record.syncCount}, ${record.clock},
            ${record.lastModifiedBy}, ${record.lastModifiedAt}, ${record.deviceLastModifiedAt}, ${flag(record.deleted)})
          ON CONFLICT (identity_id, dataset, key) DO UPDATE SET value = excluded.value, kind = excluded.kind,
            sync_count = excluded.sync_count, clock = excluded.clock, last_modified_by = excluded.last_modified_by,
            last_modified_at = excluded.last_modified_at, device_last_modified_at = excluded.device_last_modified_at,
            deleted = excluded.deleted`;
        await this.#write(query);
      }
      return;
    }
    // PostgreSQL: one statement for the batch, a round trip saved per record. A key given twice
    // keeps its last record, as one-by-one upserts would (one INSERT … ON CONFLICT may not touch a row twice).
    const batch = [...new Map(records.map((record) => [record.key, record])).values()];
    if (batch.length === 0) return;
    const column = <K extends keyof SyncRecord>(field: K) => batch.map((record) => record[field]);
    await this.#write(sql`
      INSERT INTO records (identity_id, dataset, key_hash, key, value, kind, sync_count, clock, last_modified_by,
        last_modified_at, device_last_modified_at, deleted)
      SELECT ${identityId}, ${name}, batch.* FROM unnest(${batch.map((record) => keyHash(record.key))}::bytea[], ${column("key")}::text[],
        ${column("value")}::text[], ${column("kind")}::text[], ${column("syncCount")}::bigint[], ${column("clock")}::text[],
        ${column("lastModifiedBy")}::text[], ${column("lastModifiedAt")}::bigint[], ${column("deviceLastModifiedAt")}::bigint[],
        ${column("deleted")}::boolean[]) AS batch
      ON CONFLICT (identity_id, dataset, key_hash) DO UPDATE SET key = excluded.key, value = excluded.value,
        kind = excluded.kind, sync_count = excluded.sync_count, clock = excluded.clock,
        last_modified_by = excluded.last_modified_by, last_modified_at = excluded.last_modified_at,
        device_last_modified_at = excluded.device_last_modified_at, deleted = excluded.deleted`);
  }

  async deleteAllRecords(): Promise<void> {
    this.#assertActive();
    const query = sql`DELETE FROM records WHERE identity_id = ${this.identityId} AND dataset = ${this.name}`;
    await this.#write(query);
  }

  async deleteRecords(keys: readonly string[]): Promise<void> {
    this.#assertActive();
    if (keys.length === 0) return;
    const { identityId, name, session } = this;
    const { keyHash } = this.driver;
    const query = keyHash
      ? sql`DELETE FROM records WHERE identity_id = ${identityId} AND dataset = ${name} AND key_hash = ANY(${keys.map(keyHash)}::bytea[])`
      : sql`DELETE FROM records WHERE identity_id = ${identityId} AND dataset = ${name} AND key IN (SELECT value FROM json_each(${JSON.stringify(keys)}))`;
    await this.#write(query);
  }

  async saveMutation(row: Omit<MutationRow, "identityId">): Promise<void> {
    this.#assertActive();
    const query = sql`
      INSERT INTO mutations (identity_id, device_id, mutation_id, dataset, result_json, created_at)
      VALUES (${this.identityId}, ${row.deviceId}, ${row.mutationId}, ${row.dataset}, ${row.resultJson}, ${row.createdAt})`;
    await this.#write(query);
  }

  async appendEvent(event: AppendEventInput): Promise<AppendedEvent> {
    this.#assertActive();
    return this.#afterWrites(appendStreamEvent(this.session, event));
  }

  async #lockIdentity(): Promise<void> {
    if (this.#identityLocked || !this.driver.lockIdentity) return;
    await this.#afterWrites(this.driver.lockIdentity(this.session, this.identityId));
    this.#identityLocked = true;
  }

  /**
   * Runs a write: at once on SQLite; on PostgreSQL, when writes are deferred, sent and left to
   * `#afterWrites`/`flush` to check, else awaited. Any write makes the reads taken ahead stale.
   */
  async #write(query: SqlQuery): Promise<void> {
    this.#prefetched = {};
    this.#remembered = null;
    if (this.session.now) {
      this.session.now.run(query);
      return;
    }
    const pending = this.session.run(query);
    if (this.deferWrites) this.#writes.push(handled(pending));
    else await pending;
  }

  /**
   * `pending`'s answer, once every write sent before it was answered: a failed write is the error
   * reported, not the aborted transaction's refusal of the statements after it.
   */
  async #afterWrites<T>(pending: Promise<T>): Promise<T> {
    if (this.#writes.length > 0) {
      handled(pending);
      await this.flush();
    }
    return pending;
  }

  #assertActive(): void {
    if (!this.#active) throw new Error("This dataset write transaction has already ended");
  }
}
