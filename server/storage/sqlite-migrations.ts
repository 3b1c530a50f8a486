/**
 * SQLite's driver for the one migration runner (`migrate.ts`) over the one list
 * (`migrations.ts`): synchronous, on the writer connection, in one `BEGIN IMMEDIATE` transaction,
 * so two processes starting at once cannot both apply a step.
 */
import type BetterSqlite3 from "better-sqlite3";
import { type DialectMigration, forDialect } from "./migration.js";
import { MIGRATIONS } from "./migrations.js";
import { type MigrationRequest, migrationRequests, runMigrationsSync } from "./migrate.js";
import { SQLITE_DIALECT, renderSql } from "./sql.js";

/** One step in SQLite's dialect. */
export type SqliteMigration = DialectMigration;

/** The schema in SQLite's dialect. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = forDialect(MIGRATIONS, "sqlite");

/**
 * Brings `db` to the newest version in `migrations`, all pending steps in one `BEGIN IMMEDIATE`
 * transaction; idempotent. Refuses a database newer than the list. Returns the versions applied.
 */
export function migrateSqlite(db: BetterSqlite3.Database, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): number[] {
  const target = { dialect: "sqlite", describe: "SQLite database schema", place: "this data directory" } as const;
  const answer = (request: MigrationRequest): Record<string, unknown> | undefined => {
    switch (request.kind) {
      case "begin":
        db.exec("BEGIN IMMEDIATE");
        return undefined;
      case "exec":
        db.exec(request.sql);
        return undefined;
      case "get": {
        const { text, params } = renderSql(request.query, SQLITE_DIALECT);
        return db.prepare<unknown[], Record<string, unknown>>(text).get(...params);
      }
      case "run": {
        const { text, params } = renderSql(request.query, SQLITE_DIALECT);
        db.prepare(text).run(...params);
        return undefined;
      }
      case "commit":
        db.exec("COMMIT");
        return undefined;
    }
  };
  return runMigrationsSync(migrationRequests(target, migrations), answer, () => {
    if (db.inTransaction) db.exec("ROLLBACK");
  });
}
