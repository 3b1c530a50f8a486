/**
 * The SQLite adapter's `IdentityStore`: logins, identity status, listing, merges, and the
 * migration that adds their tables. `sqlite.ts` owns the connections and hands this store two
 * ways to use them: reads on the reader connection, writes (and transactions) under its write lock.
 */
import {
  identityDisabled,
  type CreatedOrFound,
  type DatasetRef,
  type IdentityStatus,
  type IdentityStore,
  type IdentitySummary,
  type LinkedLogin,
  type LoginKey,
  type MergeWriteTx,
} from "./identity-store.js";
import { SqliteMergeTx } from "./sqlite-merge-tx.js";
import type { SqliteMigration } from "./sqlite-migrations.js";
import { type Db, sql } from "./sqlite-rows.js";

/**
 * Migration 4 (listed in `sqlite-migrations.ts`). It ships once merged: never edit it, add a later
 * version instead.
 * - `identities` gains its status: `disabled_at` (an admin disabled it, or it was merged away) and
 *   `merged_into` (the identity that now answers for it).
 * - `logins` is keyed (pool, provider, subject): one login reaches one identity of a pool, and two
 *   first sign-ins racing with the same login cannot both create an identity.
 * - `dataset_merges` remembers the conflict copies merges made, for `mergedDatasetNames`.
 */
export const SQLITE_IDENTITIES_MIGRATION: SqliteMigration = {
  version: 4,
  name: "logins, identity status, dataset merges",
  sql: `
    ALTER TABLE identities ADD COLUMN disabled_at INTEGER;
    ALTER TABLE identities ADD COLUMN merged_into TEXT;
    CREATE INDEX identities_by_pool ON identities (pool_id, id);

    CREATE TABLE logins (
      pool_id TEXT NOT NULL,
      provider TEXT NOT NULL,
      subject TEXT NOT NULL,
      identity_id TEXT NOT NULL REFERENCES identities (id),
      linked_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, provider, subject)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX logins_by_identity ON logins (identity_id, provider, subject);

    CREATE TABLE dataset_merges (
      identity_id TEXT NOT NULL,
      dataset TEXT NOT NULL,
      sync_count INTEGER NOT NULL,
      merged_dataset TEXT NOT NULL,
      source_identity_id TEXT NOT NULL,
      merged_at INTEGER NOT NULL,
      PRIMARY KEY (identity_id, dataset, sync_count, merged_dataset)
    ) STRICT, WITHOUT ROWID;
  `,
};

/** How the store reaches the adapter's connections. */
export interface SqliteIdentityConnections {
  /** Runs `fn` on the reader connection (the adapter refuses it once closed). */
  read<T>(fn: (reader: Db) => T): Promise<T>;
  /** Runs `fn` on the writer connection under the adapter's write lock, for as long as it takes. */
  write<T>(fn: (writer: Db) => T | Promise<T>): Promise<T>;
}

const STATUS_COLUMNS = `id, pool_id AS poolId, secret_hash IS NOT NULL AS hasSecret, disabled_at AS disabledAt,
  merged_into AS mergedInto`;

type StatusRow = Omit<IdentityStatus, "hasSecret"> & { hasSecret: 0 | 1 };
const toStatus = (row: StatusRow): IdentityStatus => ({ ...row, hasSecret: row.hasSecret === 1 });

/** The identity's status on `db`'s current snapshot or transaction. */
export function selectIdentityStatus(db: Db, id: string): IdentityStatus | null {
  const row = sql<StatusRow>(db, `SELECT ${STATUS_COLUMNS} FROM identities WHERE id = ?`).get(id);
  return row ? toStatus(row) : null;
}

/**
 * Called by `writeDataset` inside its transaction: a disabled (or merged) identity writes nothing,
 * even a push that was already waiting for the lock when the merge committed. Identities that
 * were never stored (storage tests) are not refused.
 */
export function assertSqliteIdentityWritable(db: Db, identityId: string): void {
  const status = selectIdentityStatus(db, identityId);
  if (status?.disabledAt != null) throw identityDisabled(status);
}

/** `IdentityStore` over SQLite. */
export class SqliteIdentityStore implements IdentityStore {
  constructor(private readonly db: SqliteIdentityConnections) {}

  getIdentityStatus(id: string): Promise<IdentityStatus | null> {
    return this.db.read((reader) => selectIdentityStatus(reader, id));
  }

  findLoginOwner(poolId: string, login: LoginKey): Promise<string | null> {
    return this.db.read((reader) => ownerOf(reader, poolId, login));
  }

  createIdentityWithLogins(
    identity: { id: string; poolId: string; secretHash: string | null; createdAt: number },
    logins: readonly LoginKey[],
  ): Promise<CreatedOrFound> {
    return this.db.write((writer) =>
      writer.transaction((): CreatedOrFound => {
        for (const login of logins) {
          const owner = ownerOf(writer, identity.poolId, login);
          if (owner !== null) return { identityId: owner, created: false };
        }
        sql(writer, "INSERT INTO identities (id, pool_id, secret_hash, created_at) VALUES (?, ?, ?, ?)").run(
          identity.id,
          identity.poolId,
          identity.secretHash,
          identity.createdAt,
        );
        for (const login of logins) insertLogin(writer, identity.poolId, login, identity.id, identity.createdAt);
        return { identityId: identity.id, created: true };
      }).immediate(),
    );
  }

  linkLogins(identityId: string, poolId: string, logins: readonly LoginKey[], linkedAt: number): Promise<{ linkedElsewhere: string | null }> {
    return this.db.write((writer) =>
      writer.transaction(() => {
        const unlinked: LoginKey[] = [];
        for (const login of logins) {
          const owner = ownerOf(writer, poolId, login);
          if (owner !== null && owner !== identityId) return { linkedElsewhere: owner };
          if (owner === null) unlinked.push(login);
        }
        for (const login of unlinked) insertLogin(writer, poolId, login, identityId, linkedAt);
        // A device secret proves a guest only while it has no login (server/identity/sign-in.ts).
        if (unlinked.length > 0) sql(writer, "UPDATE identities SET secret_hash = NULL WHERE id = ?").run(identityId);
        return { linkedElsewhere: null };
      }).immediate(),
    );
  }

  unlinkLogins(identityId: string, provider: string): Promise<number> {
    return this.db.write(
      (writer) => sql(writer, "DELETE FROM logins WHERE identity_id = ? AND provider = ?").run(identityId, provider).changes,
    );
  }

  listLogins(identityId: string): Promise<LinkedLogin[]> {
    return this.db.read((reader) => selectLogins(reader, identityId));
  }

  disableIdentity(id: string, disabledAt: number): Promise<boolean> {
    return this.db.write((writer) => {
      const exists = sql(writer, "SELECT 1 FROM identities WHERE id = ?").get(id) !== undefined;
      sql(writer, "UPDATE identities SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL").run(disabledAt, id);
      return exists;
    });
  }

  listIdentities(poolId: string, afterId: string | null, limit: number): Promise<IdentitySummary[]> {
    return this.db.read((reader) =>
      reader.transaction(() =>
        sql<StatusRow & { createdAt: number }>(
          reader,
          `SELECT ${STATUS_COLUMNS}, created_at AS createdAt FROM identities
           WHERE pool_id = ? AND id > ? ORDER BY id LIMIT ?`,
        )
          .all(poolId, afterId ?? "", limit)
          .map((row) => ({ ...toStatus(row), createdAt: row.createdAt, logins: selectLogins(reader, row.id) })),
      )(),
    );
  }

  writeMerge<T>(sourceId: string, targetId: string, datasets: readonly DatasetRef[], fn: (tx: MergeWriteTx) => Promise<T>): Promise<T> {
    return this.db.write(async (writer) => {
      // IMMEDIATE takes the file's write lock now; with one writer per file nothing interleaves.
      writer.exec("BEGIN IMMEDIATE");
      const tx = new SqliteMergeTx(writer, selectIdentityStatus(writer, sourceId), datasets);
      try {
        const result = await fn(tx);
        tx.end();
        if (!writer.inTransaction) throw new Error("SQLite rolled the merge transaction back on its own (I/O error or disk full)");
        writer.exec("COMMIT");
        return result;
      } catch (error) {
        tx.end();
        if (writer.inTransaction) {
          try {
            writer.exec("ROLLBACK");
          } catch {
            // The connection is unusable; the next BEGIN will fail loudly. Keep the caller's error.
          }
        }
        throw error;
      }
    });
  }

  listMergedDatasetNames(identityId: string, dataset: string, sinceSyncCount: number, untilSyncCount: number): Promise<string[]> {
    return this.db.read((reader) =>
      sql<{ name: string }>(
        reader,
        `SELECT DISTINCT merged_dataset AS name FROM dataset_merges
         WHERE identity_id = ? AND dataset = ? AND sync_count > ? AND sync_count <= ? ORDER BY merged_dataset`,
      )
        .all(identityId, dataset, sinceSyncCount, untilSyncCount)
        .map((row) => row.name),
    );
  }
}

function ownerOf(db: Db, poolId: string, login: LoginKey): string | null {
  const row = sql<{ identityId: string }>(
    db,
    "SELECT identity_id AS identityId FROM logins WHERE pool_id = ? AND provider = ? AND subject = ?",
  ).get(poolId, login.provider, login.subject);
  return row?.identityId ?? null;
}

function insertLogin(db: Db, poolId: string, login: LoginKey, identityId: string, linkedAt: number): void {
  sql(db, "INSERT INTO logins (pool_id, provider, subject, identity_id, linked_at) VALUES (?, ?, ?, ?, ?)").run(
    poolId,
    login.provider,
    login.subject,
    identityId,
    linkedAt,
  );
}

function selectLogins(db: Db, identityId: string): LinkedLogin[] {
  return sql<LinkedLogin>(
    db,
    "SELECT provider, subject, linked_at AS linkedAt FROM logins WHERE identity_id = ? ORDER BY provider, subject",
  ).all(identityId);
}
