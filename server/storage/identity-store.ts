/**
 * Identities beyond their creation: linked logins, disabling, listing, and the one transaction a
 * guest merge needs. The part of `Storage` that `server/identity/` and `server/sync/merge-identities.ts`
 * use, as `storage.identities`; written once for both backends in `sql-identities.ts`, checked by
 * `test/conformance/storage-suite-identities.ts`.
 *
 * Storage holds no identity rules (who may link what, how datasets merge): it keeps rows and
 * gives the guarantees the rules need: a login belongs to at most one identity of a pool, an
 * identity and its first logins appear together or not at all, and a merge writes every dataset
 * it touches in one transaction, serialized with every `writeDataset` on those datasets.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { DatasetRow, DatasetWriteTx } from "./storage.js";

/**
 * A login: who a provider says the user is. `provider` is the stable key of the provider (an OIDC
 * issuer URL, or the developer provider's name), `subject` its user id (`sub`).
 */
export interface LoginKey {
  provider: string;
  subject: string;
}

/** A login linked to an identity. */
export interface LinkedLogin extends LoginKey {
  linkedAt: number;
}

/** What sign-in and every authenticated request need to know about an identity. */
export interface IdentityStatus {
  id: string;
  poolId: string;
  /** True when the identity has a device secret (it began as a guest). */
  hasSecret: boolean;
  /** When an admin disabled it or it was merged away; null while active. */
  disabledAt: number | null;
  /** The identity it was merged into, or null. */
  mergedInto: string | null;
}

/** An identity as the admin API lists it: never its secret hash. */
export interface IdentitySummary extends IdentityStatus {
  createdAt: number;
  /** Ordered by provider, then subject. */
  logins: LinkedLogin[];
}

/** The answer of `createIdentityWithLogins`. */
export interface CreatedOrFound {
  /** The new identity's id, or the identity that already held one of the logins. */
  identityId: string;
  created: boolean;
}

/** One (identity, dataset) pair a merge writes. */
export interface DatasetRef {
  identityId: string;
  name: string;
}

/** A conflict copy a merge made: reported by `records` as `mergedDatasetNames`. */
export interface MergedDatasetRow {
  /** The target identity and the dataset the copy belongs to. */
  identityId: string;
  dataset: string;
  /** The dataset's sync count the merge committed at. */
  syncCount: number;
  /** The copy's name, `<dataset>.merged.<sourceIdentityId>`. */
  mergedDataset: string;
  sourceIdentityId: string;
  mergedAt: number;
}

/**
 * The transaction `writeMerge` passes to its callback. Everything commits together when the
 * callback resolves, or not at all when it throws. Works only while the callback runs.
 */
export interface MergeWriteTx {
  /** The status of the source identity as of taking its lock (null when it does not exist). */
  readonly source: IdentityStatus | null;
  /**
   * The write handle of one locked pair, with the same meaning as in `writeDataset`.
   * @throws for a pair that was not in `writeMerge`'s list.
   */
  dataset(identityId: string, name: string): DatasetWriteTx;
  /** An identity's live datasets now (inside the transaction), ordered by name. */
  listDatasets(identityId: string): Promise<DatasetRow[]>;
  /** Moves every login of `fromId` to `toId`. */
  moveLogins(fromId: string, toId: string): Promise<void>;
  /** Disables `id` as merged into `intoId` at `atMs`. */
  markMerged(id: string, intoId: string, atMs: number): Promise<void>;
  /** Remembers a conflict copy for `mergedDatasetNames`. */
  saveMergedDataset(row: MergedDatasetRow): Promise<void>;
}

/** Storage of logins, identity status and merges. */
export interface IdentityStore {
  /** The identity's status, or null when it does not exist. Cheap: runs on every request. */
  getIdentityStatus(id: string): Promise<IdentityStatus | null>;
  /** The identity holding the login in the pool, or null. */
  findLoginOwner(poolId: string, login: LoginKey): Promise<string | null>;
  /**
   * Creates `identity` with `logins` linked, atomically. When another identity of the pool
   * already holds one of the logins (two first sign-ins racing), creates nothing and returns
   * that identity instead.
   */
  createIdentityWithLogins(
    identity: { id: string; poolId: string; secretHash: string | null; createdAt: number },
    logins: readonly LoginKey[],
  ): Promise<CreatedOrFound>;
  /**
   * Links `logins` to the identity, all or nothing: a login it already holds is fine; when one is
   * held by another identity of the pool nothing is linked and that identity is returned. Linking
   * a new login clears the identity's device secret in the same transaction: from then on only a
   * login proves it.
   */
  linkLogins(identityId: string, poolId: string, logins: readonly LoginKey[], linkedAt: number): Promise<{ linkedElsewhere: string | null }>;
  /** Unlinks the identity's logins of `provider`; returns how many. */
  unlinkLogins(identityId: string, provider: string): Promise<number>;
  /** The identity's logins, ordered by provider and subject. */
  listLogins(identityId: string): Promise<LinkedLogin[]>;
  /** Disables an identity (an admin's decision); returns false when it does not exist. Idempotent. */
  disableIdentity(id: string, disabledAt: number): Promise<boolean>;
  /** A page of the pool's identities ordered by id, after `afterId` when given. */
  listIdentities(poolId: string, afterId: string | null, limit: number): Promise<IdentitySummary[]>;
  /**
   * Runs `fn` as the only writer of every pair in `datasets` (and of the source identity's
   * status), in one transaction: locks are taken in one fixed order, so merges and pushes never
   * wait on each other in a cycle. Commits when `fn` resolves, rolls back when it throws.
   * `fn` must not call other Storage methods that write.
   */
  writeMerge<T>(sourceId: string, targetId: string, datasets: readonly DatasetRef[], fn: (tx: MergeWriteTx) => Promise<T>): Promise<T>;
  /**
   * Names of conflict copies made by merges into (identity, dataset) at sync counts after
   * `sinceSyncCount` and at most `untilSyncCount` (the count a pull's snapshot saw), by name.
   */
  listMergedDatasetNames(identityId: string, dataset: string, sinceSyncCount: number, untilSyncCount: number): Promise<string[]>;
}

/**
 * The error both adapters raise when a disabled identity tries to write (and `server/graphql`
 * raises for its tokens): UNAUTHENTICATED, naming the identity that answers for it when it was
 * merged, so a client knows where its data went.
 */
export function identityDisabled(status: Pick<IdentityStatus, "mergedInto">): SyncpoolError {
  return status.mergedInto
    ? new SyncpoolError("UNAUTHENTICATED", `this identity was merged into ${status.mergedInto}: sign in again`, {
        reason: "IDENTITY_MERGED",
        mergedInto: status.mergedInto,
      })
    : new SyncpoolError("UNAUTHENTICATED", "this identity is disabled", { reason: "IDENTITY_DISABLED" });
}
