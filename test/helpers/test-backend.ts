/**
 * The storage backend of the test run's servers, in-process (`server.ts`) or child processes
 * (`cli.ts`): SQLite, unless the postgres project of `vitest.config.ts` sets
 * `SYNCPOOL_TEST_BACKEND=postgres`. On PostgreSQL a data directory has a schema of its own, named
 * in a file inside it, so a server restarted on the directory (in the test's process or as a new
 * child) finds the same data, as it would in the SQLite file.
 *
 *   const env = await childBackendEnv(dataDir); // {} on SQLite; DATABASE_URL and the schema on PostgreSQL
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { onEveryFileEnd } from "./file-end.js";
import { closeJanitor, createTestSchema, dropTestSchema, postgresTestUrl, releaseTestSchema, takeTestSchema } from "./postgres.js";

/** The test run's storage backend for servers: SQLite unless the postgres project says otherwise. */
export const testBackend: "sqlite" | "postgres" = process.env["SYNCPOOL_TEST_BACKEND"] === "postgres" ? "postgres" : "sqlite";

/**
 * Connections per test server's pool on PostgreSQL (plus one for LISTEN). Small, so that parallel
 * test files, several servers per test and both projects stay within PostgreSQL's 100 connections.
 */
export const TEST_POOL_SIZE = 3;

/**
 * Schemas of data directories the test passed in (restart tests), to drop (`dropped`: child
 * servers used them) or to give back emptied (`givenBack`: in-process servers only, which the
 * file's `afterAll` closed) when the file's tests end.
 */
const dropped = new Set<string>();
const givenBack = new Set<string>();
let cleansAtFileEnd = false;
/**
 * Registered on first use, so it runs after the hook that kills the file's child servers (`cli.ts`,
 * registered when imported): DROP SCHEMA would otherwise wait on the locks of a child still running.
 */
function cleanSharedSchemasAtFileEnd(): void {
  if (cleansAtFileEnd) return;
  cleansAtFileEnd = true;
  onEveryFileEnd(async () => {
    await Promise.all([...dropped].map((schema) => dropTestSchema(schema).catch(() => undefined)));
    dropped.clear();
    if (givenBack.size === 0) return;
    for (const schema of givenBack) await releaseTestSchema(schema).catch(() => undefined);
    givenBack.clear();
    // Emptying opened the worker's emptying connection again, after its own end-of-file hook.
    await closeJanitor();
  });
}

/**
 * The PostgreSQL schema of `dataDir`'s server: made on first use, remembered in the directory. A
 * directory the server owns (`ownsDir`) gets a migrated schema an earlier server of the worker left
 * emptied (`takeTestSchema`), which its owner gives back (`releaseTestSchema`). A directory the
 * test passed in to in-process servers (`inProcess`) gets one too, given back when the file ends:
 * migrating a new schema is over a second of PostgreSQL's time on a busy machine, once per restart
 * test. A child server's gets a fresh one, dropped when the file ends: emptying a schema while a
 * killed child's last transaction may still commit could hand the next server its rows.
 */
export async function schemaOfDirectory(dataDir: string, ownsDir: boolean, inProcess = false): Promise<string> {
  const file = join(dataDir, ".test-postgres-schema");
  if (existsSync(file)) return readFileSync(file, "utf8");
  const reused = ownsDir || inProcess;
  let schema: string;
  try {
    schema = reused ? await takeTestSchema() : await createTestSchema();
  } catch (error) {
    throw new Error(`the postgres test project needs PostgreSQL at ${postgresTestUrl}: ${(error as Error).message}; set SYNCPOOL_TEST_DATABASE_URL`, { cause: error });
  }
  writeFileSync(file, schema);
  if (!ownsDir) {
    (reused ? givenBack : dropped).add(schema);
    cleanSharedSchemasAtFileEnd();
  }
  return schema;
}

/**
 * The environment that points a `syncpool` child process (`serve`, `stream read`...) at the run's
 * backend for `dataDir`: nothing on SQLite (the data directory holds the database), the test
 * database and the directory's schema on PostgreSQL.
 */
export async function childBackendEnv(dataDir: string): Promise<Record<string, string>> {
  if (testBackend === "sqlite") return {};
  return {
    DATABASE_URL: postgresTestUrl,
    SYNCPOOL_DATABASE_SCHEMA: await schemaOfDirectory(dataDir, false),
    SYNCPOOL_DATABASE_POOL_SIZE: String(TEST_POOL_SIZE),
  };
}
