/**
 * A vitest global setup (every project): names this run's reusable PostgreSQL test schemas and
 * drops whatever is left of them when the run ends. A worker keeps the schemas its tests emptied
 * (`takeTestSchema` in `postgres.ts`) from one file to the next instead of creating and migrating
 * a new one per file; they carry this run's prefix, so the end of the run finds them and leaves
 * other runs' schemas on the same database alone.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Hex digits that start the name of every reusable test schema of this run. */
    postgresRunId: string;
  }
}

const postgresUrl = process.env.SYNCPOOL_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

// Each project runs the global setup; one run id (in the main process) serves them all.
const shared = Symbol.for("syncpool.test.postgresRun");
type Shared = { runId: string; users: number };

export default function setup(project: TestProject): () => Promise<void> {
  const state = ((globalThis as Record<symbol, Shared | undefined>)[shared] ??= { runId: randomBytes(4).toString("hex"), users: 0 });
  state.users += 1;
  project.provide("postgresRunId", state.runId);
  return async () => {
    if ((state.users -= 1) > 0) return;
    delete (globalThis as Record<symbol, Shared | undefined>)[shared];
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ name: string }>("SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1", [`syncpool_test_${state.runId}%`]);
      for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    } catch {
      // No PostgreSQL (the postgres project was left out): nothing was created.
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}
