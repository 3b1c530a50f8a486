import { createRequire } from "node:module";
import pg from "pg";
import { defineConfig, type TestProjectInlineConfiguration, type ViteUserConfig } from "vitest/config";

const require = createRequire(import.meta.url);

// The whole suite runs on SQLite; the integration and security tests run again with every test server on its
// own fresh PostgreSQL schema (`test/helpers/server.ts` reads SYNCPOOL_TEST_BACKEND). The storage
// conformance suite covers both backends by itself, so it runs in the sqlite project only.
const postgresUrl = process.env.SYNCPOOL_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

// Tests that drive the CLI on a SQLite data directory (SIGKILL durability of the file, `syncpool
// stream` commands on it): they are about the embedded database and stay in the sqlite project.
const sqliteOnly = ["test/integration/crash-durability.test.ts", "test/integration/stream-crash.test.ts", "test/integration/stream-cli.test.ts"];
// Need several servers on one PostgreSQL database: the postgres project only.
const postgresOnly = ["test/integration/scale-out.test.ts", "test/integration/change-bus-fanout.test.ts"];

/** Whether PostgreSQL answers; without it the postgres project is left out, except on CI where its tests must fail. */
async function postgresReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default defineConfig(async (): Promise<ViteUserConfig> => {
  const unreachable = await postgresReachable();
  const runPostgres = unreachable === null || process.env.CI === "true";
  if (!runPostgres) console.warn(`\nPostgreSQL not reachable at ${postgresUrl.replace(/:[^:@/]*@/, ":***@")} (${unreachable}): skipping the "postgres" test project; set SYNCPOOL_TEST_DATABASE_URL\n`);
  return {
    resolve: {
      // graphql-yoga loads graphql's CommonJS build; without this alias vite would hand our files
      // the ESM build, giving two GraphQLError classes and failing instanceof checks across them.
      alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
    },
    test: {
      // Servers, SQLite files and child processes are real; give them room on a 2-core machine.
      testTimeout: 30_000,
      hookTimeout: 30_000,
      pool: "forks",
      // A promise rejected with nobody listening fails the test that caused it (an app's Node
      // process would exit on it).
      setupFiles: ["test/helpers/unhandled-rejection-trap.ts"],
      projects: [
        { extends: true, test: { name: "sqlite", include: ["test/**/*.test.ts"], exclude: postgresOnly } },
        ...(runPostgres
          ? ([
              {
                extends: true,
                test: {
                  name: "postgres",
                  include: ["test/integration/**/*.test.ts", "test/security/**/*.test.ts"],
                  exclude: sqliteOnly,
                  env: { SYNCPOOL_TEST_BACKEND: "postgres" },
                },
              },
            ] satisfies TestProjectInlineConfiguration[])
          : []),
      ],
    },
  };
});
