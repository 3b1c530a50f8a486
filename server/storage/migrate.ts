/**
 * The one migration runner. It decides what to apply (the version check, the pending steps in
 * order, the bookkeeping row of each) as a sequence of requests; each backend's driver only
 * answers them on its connection, opens the transaction under its own lock and rolls back on
 * failure (`sqlite-migrations.ts` synchronously, `postgres-migrations.ts` asynchronously). All
 * pending steps run in that one transaction: a failing step leaves the schema as it was.
 */
import type { DialectMigration } from "./migration.js";
import { type SqlQuery, sql } from "./sql.js";

/**
 * What the runner asks a driver to do. `begin` opens the transaction and takes the dialect's
 * migration lock; `exec` runs DDL (several statements, no parameters); `get` runs a query and
 * answers with its first row; `run` runs a statement that returns no rows; `commit` ends the
 * transaction.
 */
export type MigrationRequest =
  | { readonly kind: "begin" }
  | { readonly kind: "exec"; readonly sql: string }
  | { readonly kind: "get"; readonly query: SqlQuery }
  | { readonly kind: "run"; readonly query: SqlQuery }
  | { readonly kind: "commit" };

/** How the runner names the migrated thing in its errors. */
export interface MigrationTarget {
  readonly dialect: "sqlite" | "postgres";
  /** e.g. `SQLite database schema`, `PostgreSQL schema "public"`. */
  readonly describe: string;
  /** Where a newer build must be run, e.g. `this data directory`. */
  readonly place: string;
}

/** The bookkeeping table, created by the runner itself before reading the current version. */
const SCHEMA_MIGRATIONS_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER NOT NULL PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer NOT NULL PRIMARY KEY,
      name text NOT NULL,
      applied_at bigint NOT NULL
    )`,
};

/**
 * The requests that bring the target to the newest version in `migrations`; the generator's
 * result is the versions applied. Checks the list at once, before any request: the list is code,
 * but a misordered append would silently skip a step on existing databases. Refuses a schema
 * whose version is newer than the list (an older build must not write to a schema it does not know).
 */
export function migrationRequests(
  target: MigrationTarget,
  migrations: readonly DialectMigration[],
): Generator<MigrationRequest, number[], Record<string, unknown> | undefined> {
  const label = target.dialect === "sqlite" ? "SQLite" : "PostgreSQL";
  migrations.forEach((migration, index) => {
    const previous = index === 0 ? 0 : migrations[index - 1]!.version;
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new Error(`${label} migrations must have strictly ascending integer versions (at "${migration.name}")`);
    }
  });
  return requests(target, migrations);
}

function* requests(
  target: MigrationTarget,
  migrations: readonly DialectMigration[],
): Generator<MigrationRequest, number[], Record<string, unknown> | undefined> {
  const newestKnown = migrations.at(-1)?.version ?? 0;
  yield { kind: "begin" };
  yield { kind: "exec", sql: SCHEMA_MIGRATIONS_TABLE[target.dialect] };
  const row = yield { kind: "get", query: sql`SELECT max(version) AS version FROM schema_migrations` };
  const current = (row?.version as number | null | undefined) ?? 0;
  if (current > newestKnown) {
    throw new Error(
      `${target.describe} is at version ${current}, newer than this build knows (${newestKnown}); ` +
        `run a newer syncpool against ${target.place}`,
    );
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    yield { kind: "exec", sql: migration.sql };
    const { version, name } = migration;
    yield { kind: "run", query: sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${version}, ${name}, ${Date.now()})` };
    applied.push(version);
  }
  yield { kind: "commit" };
  return applied;
}

/** Drives `steps` on a synchronous connection; `rollback` runs when any request fails. */
export function runMigrationsSync(
  steps: Generator<MigrationRequest, number[], Record<string, unknown> | undefined>,
  answer: (request: MigrationRequest) => Record<string, unknown> | undefined,
  rollback: () => void,
): number[] {
  try {
    let step = steps.next();
    while (!step.done) step = steps.next(answer(step.value));
    return step.value;
  } catch (error) {
    rollback();
    throw error;
  }
}

/** Drives `steps` on an asynchronous connection; `rollback` runs when any request fails. */
export async function runMigrations(
  steps: Generator<MigrationRequest, number[], Record<string, unknown> | undefined>,
  answer: (request: MigrationRequest) => Promise<Record<string, unknown> | undefined>,
  rollback: () => Promise<void>,
): Promise<number[]> {
  try {
    let step = steps.next();
    while (!step.done) step = steps.next(await answer(step.value));
    return step.value;
  } catch (error) {
    await rollback();
    throw error;
  }
}
