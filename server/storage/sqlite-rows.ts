/**
 * SQL shared by the SQLite adapter's connection-level code (`sqlite.ts`) and its transaction
 * handle (`sqlite-dataset-tx.ts`): column lists aliased to the interface's field names, the 0/1
 * boolean mapping, and a per-connection statement cache.
 */
import type BetterSqlite3 from "better-sqlite3";
import { SQLITE_DIALECT, type SqlQuery, type SqlSession, type SqlSessionNow, renderSql } from "./sql.js";
import type { DatasetRow } from "./storage.js";

/** A better-sqlite3 connection. */
export type Db = BetterSqlite3.Database;

/** Dataset columns aliased to `DatasetRow` fields, so a row maps over with only `deleted` changed. */
export const DATASET_COLUMNS = `identity_id AS identityId, name, sync_count AS syncCount,
  record_count AS recordCount, size_bytes AS sizeBytes, conflict_strategy AS conflictStrategy,
  created_at AS createdAt, last_modified_at AS lastModifiedAt, last_modified_by AS lastModifiedBy,
  deleted, deleted_at_sync_count AS deletedAtSyncCount`;
/** Record columns aliased to `SyncRecord` fields. */
export const RECORD_COLUMNS = `key, value, kind, sync_count AS syncCount, clock, last_modified_by AS lastModifiedBy,
  last_modified_at AS lastModifiedAt, device_last_modified_at AS deviceLastModifiedAt, deleted`;

/** A row as SQLite holds it: booleans are 0/1 in a STRICT INTEGER column. */
export type Stored<T extends { deleted: boolean }> = Omit<T, "deleted"> & { deleted: 0 | 1 };
/** Back to the interface's shape. */
export const fromStored = <T extends { deleted: boolean }>(row: Stored<T>): T => ({ ...row, deleted: row.deleted === 1 }) as T;
/** Into SQLite's shape, for named-parameter binding. */
export const toStored = <T extends { deleted: boolean }>(row: T): Stored<T> => ({ ...row, deleted: row.deleted ? 1 : 0 });

const statementCache = new WeakMap<Db, Map<string, BetterSqlite3.Statement>>();
/**
 * The statement for `text` on `db`, compiled once per connection on first use: not at open,
 * because the tables exist only after `migrate()`.
 */
export function sql<Result>(db: Db, text: string): BetterSqlite3.Statement<unknown[], Result> {
  let cache = statementCache.get(db);
  if (!cache) statementCache.set(db, (cache = new Map()));
  let statement = cache.get(text);
  if (!statement) cache.set(text, (statement = db.prepare(text)));
  return statement as BetterSqlite3.Statement<unknown[], Result>;
}

/** The dataset row on `db`'s current snapshot (or transaction), deleted rows included. */
export function selectDataset(db: Db, identityId: string, name: string): DatasetRow | null {
  const row = sql<Stored<DatasetRow>>(db, `SELECT ${DATASET_COLUMNS} FROM datasets WHERE identity_id = ? AND name = ?`).get(
    identityId,
    name,
  );
  return row ? fromStored(row) : null;
}

/**
 * A `SqlSession` (`sql.ts`) on `db`: statements compiled once per connection and run at once, so a
 * sub-store's queries keep SQLite's synchronous execution behind the shared interface. One per
 * connection, made on first use: the append and identity check of every commit ask for it.
 */
export function sqliteSession(db: Db): SqlSession {
  let session = sessions.get(db);
  if (!session) sessions.set(db, (session = newSqliteSession(db)));
  return session;
}

const sessions = new WeakMap<Db, SqlSession>();

function newSqliteSession(db: Db): SqlSession {
  const statement = <Row>(query: SqlQuery) => {
    const { text, params } = renderSql(query, SQLITE_DIALECT);
    return { prepared: sql<Row>(db, text), params };
  };
  const now: SqlSessionNow = {
    all: <Row>(query: SqlQuery) => {
      const { prepared, params } = statement<Row>(query);
      return prepared.all(...params);
    },
    get: <Row>(query: SqlQuery) => {
      const { prepared, params } = statement<Row>(query);
      return prepared.get(...params);
    },
    run: (query) => {
      const { prepared, params } = statement(query);
      return prepared.run(...params).changes;
    },
  };
  return {
    dialect: SQLITE_DIALECT,
    all: async (query) => now.all(query),
    get: async (query) => now.get(query),
    run: async (query) => now.run(query),
    now,
  };
}
