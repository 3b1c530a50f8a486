/**
 * PostgreSQL's driver for the one migration runner (`migrate.ts`) over the one list
 * (`migrations.ts`): one transaction on one client under a transaction-scoped advisory lock for
 * the schema, so servers starting at once queue on the lock and each later one finds the work
 * done. DDL is transactional in PostgreSQL, so a failing step leaves the schema as it was.
 */
import type pg from "pg";
import { type DialectMigration, forDialect } from "./migration.js";
import { MIGRATIONS } from "./migrations.js";
import { type MigrationRequest, migrationRequests, runMigrations } from "./migrate.js";
import { assertSchemaName } from "./postgres-rows.js";
import { POSTGRES_DIALECT, renderSql } from "./sql.js";

/** One step in PostgreSQL's dialect. */
export type PostgresMigration = DialectMigration;

/** The schema in PostgreSQL's dialect. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = forDialect(MIGRATIONS, "postgres");

/**
 * Brings `schema` (created if missing) to the newest version in `migrations`, all pending steps in
 * one transaction on `client`; idempotent. Refuses a schema newer than the list. Returns the
 * versions applied.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  schema: string,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  assertSchemaName(schema);
  const target = { dialect: "postgres", describe: `PostgreSQL schema "${schema}"`, place: "this database" } as const;
  const answer = async (request: MigrationRequest): Promise<Record<string, unknown> | undefined> => {
    switch (request.kind) {
      case "begin": {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`syncpool.migrate.${schema}`]);
        // Only now, under the lock: `CREATE ... IF NOT EXISTS` races with itself across sessions.
        // Checking first also spares the database-level CREATE privilege when the schema exists.
        const { rowCount } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
        if (rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
        await client.query(`SET LOCAL search_path TO ${schema}`);
        return undefined;
      }
      case "exec":
        await client.query(request.sql);
        return undefined;
      case "get":
      case "run": {
        const { text, params } = renderSql(request.query, POSTGRES_DIALECT);
        return (await client.query<Record<string, unknown>>(text, params)).rows[0];
      }
      case "commit":
        await client.query("COMMIT");
        return undefined;
    }
  };
  // A failing ROLLBACK would only hide the migration's error.
  const rollback = async () => void (await client.query("ROLLBACK").catch(() => undefined));
  return runMigrations(migrationRequests(target, migrations), answer, rollback);
}
