/**
 * The shape of one schema step, written for both backends side by side so the two schemas stay
 * alike. Each area of storage keeps its step next to its queries; `migrations.ts` holds the one
 * ordered list and `migrate.ts` the one runner that applies it.
 */

/** One versioned schema step. `sqlite` and `postgres` may each hold several statements. */
export interface Migration {
  /** Strictly ascending across the list; never reused, never edited once shipped. */
  version: number;
  name: string;
  /** The step in SQLite's dialect (STRICT tables). */
  sqlite: string;
  /** The step in PostgreSQL's dialect. */
  postgres: string;
}

/** One step in one dialect: what a backend's runner applies. `sql` may hold several statements. */
export interface DialectMigration {
  version: number;
  name: string;
  sql: string;
}

/** The list in one dialect, for that backend's runner. */
export function forDialect(migrations: readonly Migration[], dialect: "sqlite" | "postgres"): DialectMigration[] {
  return migrations.map(({ version, name, [dialect]: sql }) => ({ version, name, sql }));
}
