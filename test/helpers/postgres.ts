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
import { describe, it } from "vitest";
import { redactUrl } from "../../server/storage/open-storage.js";
import { openPostgresStorage, type PostgresStorage } from "../../server/storage/postgres.js";
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
export function testSchemaName(): string {
  return `syncpool_test_${randomBytes(6).toString("hex")}`;
}

/** Creates and returns a fresh, empty schema. Drop it with `dropTestSchema`. */
export async function createTestSchema(): Promise<string> {
  const schema = testSchemaName();
  await withTestClient((client) => client.query(`CREATE SCHEMA ${schema}`));
  return schema;
}

/** Drops `schema` and everything in it; a schema that does not exist is fine. */
export async function dropTestSchema(schema: string): Promise<void> {
  if (!/^syncpool_test_[0-9a-f]+$/.test(schema)) throw new Error(`refusing to drop non-test schema "${schema}"`);
  await withTestClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

/**
 * A storage, not yet migrated, on a fresh schema (or on `options.schema`, to share one between
 * instances like several servers do). `cleanup` closes it and drops the schema if it created it.
 */
export async function openTestPostgresStorage(
  options: { schema?: string; poolSize?: number } = {},
): Promise<{ storage: PostgresStorage; schema: string; cleanup(): Promise<void> }> {
  const schema = options.schema ?? (await createTestSchema());
  const storage = await openPostgresStorage({ url: postgresTestUrl, schema, poolSize: options.poolSize ?? 4 });
  return {
    storage,
    schema,
    cleanup: async () => {
      await storage.close();
      if (!options.schema) await dropTestSchema(schema);
    },
  };
}

// Schemas migrated by an earlier test of this file, their tables emptied since (this worker's).
const emptied: string[] = [];
onEveryFileEnd(async () => {
  for (const schema of emptied.splice(0)) await dropTestSchema(schema);
});

/**
 * Like `openTestPostgresStorage()`, but on a schema an earlier test of the file migrated and
 * `cleanup` emptied (every row deleted but those of `schema_migrations`), when
 * there is one: the same state as a fresh schema once migrated, since migrations create tables
 * and indexes only, without creating and dropping some thirty tables per test (about a second
 * of PostgreSQL's time on a busy machine). Call `storage.migrate()` as on a fresh schema.
 */
export async function openReusedTestPostgresStorage(): Promise<{ storage: PostgresStorage; schema: string; cleanup(): Promise<void> }> {
  const schema = emptied.pop() ?? (await createTestSchema());
  const storage = await openPostgresStorage({ url: postgresTestUrl, schema, poolSize: 4 });
  return {
    storage,
    schema,
    cleanup: async () => {
      await storage.close();
      try {
        await emptySchema(schema);
        emptied.push(schema);
      } catch {
        await dropTestSchema(schema);
      }
    },
  };
}

/**
 * Deletes every row of `schema` but `schema_migrations`'s, in one transaction (DELETE on tables
 * of a few rows costs far less than TRUNCATE, which gives each table and index new files). Foreign
 * keys are not checked on the way (`session_replication_role`), as every row goes anyway.
 */
async function emptySchema(schema: string): Promise<void> {
  await withTestClient(async (client) => {
    const { rows } = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'",
      [schema],
    );
    await client.query(`BEGIN; SET LOCAL session_replication_role = replica; ${rows.map((row) => `DELETE FROM ${schema}."${row.name}";`).join(" ")} COMMIT`);
  });
}
