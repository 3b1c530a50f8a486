/**
 * Server keys in the database: token signing keys, the sync session secret, VAPID, webhook secrets
 * and any later kind (user-pool keys). Rows hold material already sealed by the caller under the
 * master key (`server/secret-box.ts`); storage never sees a secret in the clear. Every row takes
 * the next number of one generation counter shared by all kinds, so an instance learns that
 * something changed by reading one number (`serverKeyGeneration`). Every backend reaches it as
 * `storage.keys`, written once in `sql-keys.ts`, and passes `test/conformance/storage-suite-keys.ts`.
 *
 * The newest row of a kind is the one to sign with; older rows of the kind still verify until they
 * are pruned. What a kind's material looks like lives in `server/keys/`.
 */

/** A key as stored. */
export interface ServerKeyRow {
  /** What the key is for, e.g. `token-signing`; free text so new kinds need no migration. */
  kind: string;
  /** Unique within the kind (a JWK thumbprint, or random). */
  keyId: string;
  /** The material, sealed under the master key (bound to kind and key id). */
  sealed: string;
  /** Position in the counter shared by all kinds: the newest key of a kind has its highest. */
  generation: number;
  createdAt: number;
}

/** A key to store; storage assigns its generation. */
export type NewServerKey = Omit<ServerKeyRow, "generation">;

/** The key storage; see the module comment. */
export interface KeyStore {
  /** Every stored key, oldest generation first. */
  listServerKeys(): Promise<ServerKeyRow[]>;
  /** The highest generation stored, 0 when there is no key. Cheap: instances poll it. */
  serverKeyGeneration(): Promise<number>;
  /**
   * Stores each key whose kind has no key yet, and skips the others. Atomic across instances (an
   * advisory lock on PostgreSQL, the write lock on SQLite): of instances starting at once on an
   * empty database exactly one creates each kind, and the rest keep what it created.
   * Returns the kinds stored.
   */
  addMissingServerKeys(keys: readonly NewServerKey[]): Promise<string[]>;
  /**
   * Stores `key` as the newest of its kind and deletes older keys of the kind beyond the newest
   * `keep` (counting the new one), in one atomic step. Returns the new row.
   */
  rotateServerKey(key: NewServerKey, keep: number): Promise<ServerKeyRow>;
}
