/**
 * The `MergeWriteTx` of both backends: the write handles of every dataset the merge locked, plus
 * the identity statements, on the session of the one transaction that `writeMerge`
 * (`sql-identities.ts`) opened under the backend's locks and will end.
 */
import type { DatasetRef, IdentityStatus, MergedDatasetRow, MergeWriteTx } from "./identity-store.js";
import { type SqlSession, sql } from "./sql.js";
import { selectLiveDatasets } from "./sql-dataset-tx.js";
import type { DatasetRow, DatasetWriteTx } from "./storage.js";

/** A dataset write handle its transaction ends: every method throws afterwards. */
export interface EndableDatasetTx extends DatasetWriteTx {
  end(): void;
}

const refKey = (identityId: string, name: string) => JSON.stringify([identityId, name]);

/** The handle `writeMerge` passes to its callback; dead (every method throws) once it ended. */
export class SqlMergeTx implements MergeWriteTx {
  readonly #datasets = new Map<string, EndableDatasetTx>();
  #active = true;

  /** `datasets` are the write handles of the locked pairs `refs`, in the same order. */
  constructor(
    private readonly session: SqlSession,
    readonly source: IdentityStatus | null,
    datasets: readonly EndableDatasetTx[],
    refs: readonly DatasetRef[],
  ) {
    refs.forEach((ref, index) => this.#datasets.set(refKey(ref.identityId, ref.name), datasets[index]!));
  }

  /** Called by `writeMerge` as the transaction ends; the dataset handles die with it. */
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
    return selectLiveDatasets(this.session, identityId);
  }

  async moveLogins(fromId: string, toId: string): Promise<void> {
    this.#assertActive();
    await this.session.run(sql`UPDATE logins SET identity_id = ${toId} WHERE identity_id = ${fromId}`);
  }

  async markMerged(id: string, intoId: string, atMs: number): Promise<void> {
    this.#assertActive();
    await this.session.run(sql`UPDATE identities SET disabled_at = ${atMs}, merged_into = ${intoId} WHERE id = ${id}`);
  }

  async saveMergedDataset(row: MergedDatasetRow): Promise<void> {
    this.#assertActive();
    const { identityId, dataset, syncCount, mergedDataset, sourceIdentityId, mergedAt } = row;
    await this.session.run(sql`
      INSERT INTO dataset_merges (identity_id, dataset, sync_count, merged_dataset, source_identity_id, merged_at)
      VALUES (${identityId}, ${dataset}, ${syncCount}, ${mergedDataset}, ${sourceIdentityId}, ${mergedAt})`);
  }

  #assertActive(): void {
    if (!this.#active) throw new Error("This merge transaction has already ended");
  }
}
