/**
 * The SQLite adapter's `MergeWriteTx`: one `SqliteDatasetTx` per dataset the merge writes, plus
 * the identity statements, all on the writer connection inside the `BEGIN IMMEDIATE` transaction
 * that `writeMerge` (in `sqlite-identities.ts`) opened and will end. SQLite has one writer per
 * file, so holding the transaction is holding every dataset's lock at once.
 */
import type { DatasetRef, IdentityStatus, MergedDatasetRow, MergeWriteTx } from "./identity-store.js";
import { SqliteDatasetTx } from "./sqlite-dataset-tx.js";
import { type Db, DATASET_COLUMNS, type Stored, fromStored, sql } from "./sqlite-rows.js";
import type { DatasetRow, DatasetWriteTx } from "./storage.js";

const refKey = (identityId: string, name: string) => JSON.stringify([identityId, name]);

/** The handle `writeMerge` passes to its callback; dead (every method throws) once it ended. */
export class SqliteMergeTx implements MergeWriteTx {
  readonly #datasets = new Map<string, SqliteDatasetTx>();
  #active = true;

  constructor(
    private readonly db: Db,
    readonly source: IdentityStatus | null,
    datasets: readonly DatasetRef[],
  ) {
    for (const ref of datasets) {
      const key = refKey(ref.identityId, ref.name);
      if (!this.#datasets.has(key)) this.#datasets.set(key, new SqliteDatasetTx(db, ref.identityId, ref.name));
    }
  }

  /** Called by `writeMerge` as the transaction commits or rolls back. */
  end(): void {
    this.#active = false;
    for (const tx of this.#datasets.values()) tx.end();
  }

  dataset(identityId: string, name: string): DatasetWriteTx {
    this.#assertActive();
    const tx = this.#datasets.get(refKey(identityId, name));
    if (!tx) throw new Error(`dataset ${identityId}/${name} is not locked by this merge`);
    return tx;
  }

  async listDatasets(identityId: string): Promise<DatasetRow[]> {
    this.#assertActive();
    return sql<Stored<DatasetRow>>(this.db, `SELECT ${DATASET_COLUMNS} FROM datasets WHERE identity_id = ? AND deleted = 0 ORDER BY name`)
      .all(identityId)
      .map((row) => fromStored(row));
  }

  async moveLogins(fromId: string, toId: string): Promise<void> {
    this.#assertActive();
    sql(this.db, "UPDATE logins SET identity_id = ? WHERE identity_id = ?").run(toId, fromId);
  }

  async markMerged(id: string, intoId: string, atMs: number): Promise<void> {
    this.#assertActive();
    sql(this.db, "UPDATE identities SET disabled_at = ?, merged_into = ? WHERE id = ?").run(atMs, intoId, id);
  }

  async saveMergedDataset(row: MergedDatasetRow): Promise<void> {
    this.#assertActive();
    sql(
      this.db,
      `INSERT INTO dataset_merges (identity_id, dataset, sync_count, merged_dataset, source_identity_id, merged_at)
       VALUES (@identityId, @dataset, @syncCount, @mergedDataset, @sourceIdentityId, @mergedAt)`,
    ).run(row);
  }

  #assertActive(): void {
    if (!this.#active) throw new Error("This merge transaction has already ended");
  }
}
