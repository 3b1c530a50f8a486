/**
 * How the SQLite driver (`sqlite.ts`) runs the queries written once (`sql.ts`): a `SqlSession` per
 * better-sqlite3 connection, over a per-connection statement cache.
 */
import type BetterSqlite3 from "better-sqlite3";
import { SQLITE_DIALECT, type SqlQuery, type SqlSession, type SqlSessionNow, renderSql } from "./sql.js";

/** A better-sqlite3 connection. */
export type Db = BetterSqlite3.Database;

/**
 * The `SqlSession` (`sql.ts`) on `db`: statements compiled once per connection and run at once, so a
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
  // Compiled on first use, not at open: the tables exist only after `migrate()`.
  const statements = new Map<string, BetterSqlite3.Statement>();
  const statement = <Row>(query: SqlQuery) => {
    const { text, params } = renderSql(query, SQLITE_DIALECT);
    let prepared = statements.get(text);
    if (!prepared) statements.set(text, (prepared = db.prepare(text)));
    return { prepared: prepared as BetterSqlite3.Statement<unknown[], Row>, params };
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
