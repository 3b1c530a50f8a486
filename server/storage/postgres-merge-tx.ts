/**
 * The PostgreSQL adapter's `MergeWriteTx`: the `PostgresDatasetTx` of every dataset the merge
 * locked, plus the identity statements, on the one client of the READ COMMITTED transaction that
 * `writeMerge` (in `postgres-identities.ts`, which also documents the lock order) opened.
 */
import type pg from "pg";
import type { IdentityStatus, MergedDatasetRow, MergeWriteTx } from "./identity-store.js";
import type { PostgresDatasetTx } from "./postgres-dataset-tx.js";
import { DATASET_COLUMNS, fromDatasetRow } from "./postgres-rows.js";
import type { DatasetRow, DatasetWriteTx } from "./storage.js";

/** The handle `writeMerge` passes to its callback; dead (every method throws) once it ended. */
export class PostgresMergeTx implements MergeWriteTx {
  #active = true;

  constructor(
    private readonly client: pg.PoolClient,
    readonly source: IdentityStatus | null,
    /** Keyed by `JSON.stringify([identityId, name])`. */
    private readonly datasets: ReadonlyMap<string, PostgresDatasetTx>,
  ) {}

  /** Called by `writeMerge` as the transaction ends; the dataset handles die with it. */
  end(): void {
    this.#active = false;
    for (const tx of this.datasets.values()) tx.end();
  }

  dataset(identityId: string, name: string): DatasetWriteTx {
    this.#assertActive();
    const tx = this.datasets.get(JSON.stringify([identityId, name]));
    if (!tx) throw new Error(`dataset ${identityId}/${name} is not locked by this merge`);
    return tx;
  }

  async listDatasets(identityId: string): Promise<DatasetRow[]> {
    this.#assertActive();
    const { rows } = await this.client.query<DatasetRow>(
      `SELECT ${DATASET_COLUMNS} FROM datasets WHERE identity_id = $1 AND NOT deleted ORDER BY name`,
      [identityId],
    );
    return rows.map(fromDatasetRow);
  }

  async moveLogins(fromId: string, toId: string): Promise<void> {
    this.#assertActive();
    await this.client.query("UPDATE logins SET identity_id = $2 WHERE identity_id = $1", [fromId, toId]);
  }

  async markMerged(id: string, intoId: string, atMs: number): Promise<void> {
    this.#assertActive();
    await this.client.query("UPDATE identities SET disabled_at = $2, merged_into = $3 WHERE id = $1", [id, atMs, intoId]);
  }

  async saveMergedDataset(row: MergedDatasetRow): Promise<void> {
    this.#assertActive();
    await this.client.query(
      `INSERT INTO dataset_merges (identity_id, dataset, sync_count, merged_dataset, source_identity_id, merged_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [row.identityId, row.dataset, row.syncCount, row.mergedDataset, row.sourceIdentityId, row.mergedAt],
    );
  }

  #assertActive(): void {
    if (!this.#active) throw new Error("This merge transaction has already ended");
  }
}
