/**
 * PostgreSQL for tests: where it is, whether it answers, and a fresh schema per storage so tests
 * (and test files running in parallel) never see each other's rows. Used by the storage
 * conformance suite and by any suite that runs against both backends:
 *
 *   await describeWithPostgres("PostgreSQL integration", () => {
 *     it("...", async () => {
 *       const { storage, cleanup } = await openTestPostgresStorage();
 *       onTestFinished(cleanup);
 *     });
 *   });
 *
 * Without a reachable server the tests are skipped with a warning, except on CI
 * (`CI=true`), where a missing PostgreSQL is a failure rather than a silent pass.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, inject, it } from "vitest";
import { redactUrl } from "../../server/storage/open-storage.js";
import { openPostgresStorage, type PostgresStorage } from "../../server/storage/postgres.js";
import { POSTGRES_MIGRATIONS } from "../../server/storage/postgres-migrations.js";
import { onEveryFileEnd } from "./file-end.js";

/** The test database: `SYNCPOOL_TEST_DATABASE_URL`, else the local trust-auth server's `test`. */
export const postgresTestUrl = process.env.SYNCPOOL_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let probe: Promise<{ reachable: boolean; reason: string }> | undefined;

/** Whether `postgresTestUrl` answers `SELECT 1` within 3 s. Probed once per test file. */
export async function isPostgresReachable(): Promise<boolean> {
  return (await probePostgres()).reachable;
}

function probePostgres(): Promise<{ reachable: boolean; reason: string }> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: postgresTestUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return { reachable: true, reason: "" };
    } catch (error) {
      return { reachable: false, reason: error instanceof Error ? error.message : String(error) };
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

/**
 * Registers `fn`'s tests under `name` when PostgreSQL is reachable. Otherwise, on CI, registers
 * one failing test saying PostgreSQL is required; elsewhere skips them with a warning naming why.
 * Await it at the top level of the test file.
 */
export async function describeWithPostgres(name: string, fn: () => void, options: { timeout?: number } = {}): Promise<void> {
  const { reachable, reason } = await probePostgres();
  const where = redactUrl(postgresTestUrl);
  if (reachable) {
    describe(name, options, fn);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("has a PostgreSQL server to run against (required on CI)", () => {
        throw new Error(`PostgreSQL is required on CI but is not reachable at ${where} (${reason}); set SYNCPOOL_TEST_DATABASE_URL`);
      });
    });
  } else {
    console.warn(`PostgreSQL not reachable at ${where} (${reason}): skipping ${name}; set SYNCPOOL_TEST_DATABASE_URL`);
    describe.skip(name, fn);
  }
}

/** Runs `fn` with a fresh connection to the test database (no schema set), then closes it. */
export async function withTestClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresTestUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A unique schema name (lowercase, as `openPostgresStorage` requires); not created. */
export function testSchemaName(prefix = ""): string {
  return `syncpool_test_${prefix}${randomBytes(6).toString("hex")}`;
}

/** Creates and returns a fresh, empty schema. Drop it with `dropTestSchema`. */
export async function createTestSchema(name = testSchemaName()): Promise<string> {
  const schema = name;
  await withTestClient((client) => client.query(`CREATE SCHEMA ${schema}`));
  return schema;
}

/** Drops `schema` and everything in it; a schema that does not exist is fine. */
export async function dropTestSchema(schema: string): Promise<void> {
  assertTestSchema(schema);
  await withTestClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

function assertTestSchema(schema: string): void {
  if (!/^syncpool_test_[0-9a-f]+$/.test(schema)) throw new Error(`refusing to touch non-test schema "${schema}"`);
}

/**
 * A storage, not yet migrated, on a fresh schema (or on `options.schema`, to share one between
 * instances like several servers do). `cleanup` closes it and drops the schema if it created it.
 */
export async function openTestPostgresStorage(
  options: { schema?: string; poolSize?: number; detectNestedWrites?: boolean } = {},
): Promise<{ storage: PostgresStorage; schema: string; cleanup(): Promise<void> }> {
  const schema = options.schema ?? (await createTestSchema());
  const storage = await openPostgresStorage({ url: postgresTestUrl, schema, poolSize: options.poolSize ?? 4, detectNestedWrites: options.detectNestedWrites ?? true });
  return {
    storage,
    schema,
    cleanup: async () => {
      await storage.close();
      if (!options.schema) await dropTestSchema(schema);
    },
  };
}

// Schemas migrated by an earlier test (or test server) of this worker, emptied since.
const emptied: string[] = [];
// The run's prefix of reusable schemas (`postgres-run-schemas.ts`), which drops them when the run
// ends; without that global setup they are dropped at the end of each file instead.
const runId = (() => {
  try {
    return inject("postgresRunId");
  } catch {
    return undefined; // not in a vitest worker
  }
})();
// One connection per worker for emptying and dropping those schemas, opened on first use and
// closed at the end of each file: a new connection per test costs PostgreSQL a backend start and
// a cold catalog cache, more than the emptying itself.
let janitor: Promise<pg.Client> | undefined;
onEveryFileEnd(closeJanitor);

/**
 * Closes the worker's emptying connection (dropping the emptied schemas first when no run keeps
 * them). Runs at the end of every file, and again after a later end-of-file hook gives schemas back.
 */
export async function closeJanitor(): Promise<void> {
  if (!janitor) return;
  const client = await janitor;
  if (!runId) for (const schema of emptied.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  janitor = undefined;
  await client.end();
}

function janitorClient(): Promise<pg.Client> {
  janitor ??= (async () => {
    const client = new pg.Client({ connectionString: postgresTestUrl });
    // A connection lost between files is opened again on next use.
    client.on("error", () => void (janitor = undefined));
    await client.connect();
    return client;
  })().catch((error: unknown) => {
    janitor = undefined;
    throw error;
  });
  return janitor;
}

/**
 * A migrated schema for one storage or test server, as if fresh: one an earlier test of the worker
 * migrated and `releaseTestSchema` emptied, when there is one, else a new empty one (the caller
 * migrates it). Migrating the reused one again finds nothing to do.
 */
export async function takeTestSchema(): Promise<string> {
  return emptied.pop() ?? (await createTestSchema(testSchemaName(runId)));
}

/**
 * Gives back a schema from `takeTestSchema` once nothing uses it any more: every row deleted but
 * those of `schema_migrations`, every sequence restarted, for the next taker. The same state as a
 * fresh schema once migrated, since migrations create tables, indexes and sequences only, without
 * creating and dropping some thirty tables per test (over a second of PostgreSQL's time on a busy
 * machine). A schema not at the newest version, or that cannot be emptied, is dropped instead.
 */
export async function releaseTestSchema(schema: string): Promise<void> {
  try {
    await emptySchema(schema);
    emptied.push(schema);
  } catch {
    await dropTestSchema(schema);
  }
}

/**
 * Like `openTestPostgresStorage()`, but on a schema from `takeTestSchema`, given back by `cleanup`.
 * Call `storage.migrate()` as on a fresh schema.
 */
export async function openReusedTestPostgresStorage(): Promise<{ storage: PostgresStorage; schema: string; cleanup(): Promise<void> }> {
  const schema = await takeTestSchema();
  const storage = await openPostgresStorage({ url: postgresTestUrl, schema, poolSize: 4 });
  return {
    storage,
    schema,
    cleanup: async () => {
      await storage.close();
      await releaseTestSchema(schema);
    },
  };
}

// The statement that empties a schema, by schema: its tables and sequences are read once.
const emptyingStatements = new Map<string, string>();
const newestMigration = { steps: POSTGRES_MIGRATIONS.length, version: POSTGRES_MIGRATIONS.at(-1)?.version ?? 0 };

/**
 * Deletes every row of `schema` but `schema_migrations`'s and restarts its sequences, in one
 * transaction (DELETE on tables of a few rows costs far less than TRUNCATE, which gives each table
 * and index new files). Foreign keys are not checked on the way (`session_replication_role`), as
 * every row goes anyway. Throws when the schema is not exactly at the newest migration.
 */
async function emptySchema(schema: string): Promise<void> {
  assertTestSchema(schema);
  const client = await janitorClient();
  const { rows: [migrated] } = await client.query<{ steps: number; version: number | null }>(
    `SELECT count(*)::int AS steps, max(version) AS version FROM ${schema}.schema_migrations`,
  );
  if (migrated?.steps !== newestMigration.steps || migrated.version !== newestMigration.version) {
    throw new Error(`schema ${schema} is not at the newest migration`);
  }
  let statement = emptyingStatements.get(schema);
  if (!statement) {
    const { rows } = await client.query<{ name: string; kind: string }>(
      "SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'S') AND c.relname <> 'schema_migrations' ORDER BY c.relname",
      [schema],
    );
    const deletes = rows.filter((row) => row.kind === "r").map((row) => `DELETE FROM ${schema}."${row.name}";`);
    const restarts = rows.filter((row) => row.kind === "S").map((row) => `SELECT setval('${schema}."${row.name}"', 1, false);`);
    statement = `BEGIN; SET LOCAL session_replication_role = replica; ${[...deletes, ...restarts].join(" ")} COMMIT`;
    emptyingStatements.set(schema, statement);
  }
  try {
    await client.query(statement);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
