import { createRequire } from "node:module";
import pg from "pg";
import { defineConfig, type TestProjectInlineConfiguration, type ViteUserConfig } from "vitest/config";
import { LongestFirstSequencer } from "./test/helpers/longest-first-sequencer.js";

const require = createRequire(import.meta.url);

// The whole suite runs on SQLite. The postgres project runs the PostgreSQL half of the storage
// conformance suite, plus the integration and security tests whose behaviour depends on the backend
// (several servers on one database, per-dataset locking under concurrent pushes, identity and dataset
// merges, the event stream, leases, keys kept in the database), each test server on a PostgreSQL schema
// of its own, as if fresh (`test/helpers/server.ts` reads SYNCPOOL_TEST_BACKEND). Everything else is
// storage-agnostic above the `Storage` interface, which the conformance suite pins down for both backends.
const postgresUrl = process.env.SYNCPOOL_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

// Need PostgreSQL itself (or several servers on one PostgreSQL database): the postgres project only.
const postgresOnly = [
  "test/conformance/postgres.test.ts",
  "test/conformance/postgres-instances.test.ts",
  "test/conformance/postgres-group-commit.test.ts",
  "test/conformance/postgres-group-commit-races.test.ts",
  "test/integration/scale-out.test.ts",
  "test/integration/change-bus-fanout.test.ts",
  "test/integration/shared-datasets-fanout.test.ts",
  "test/integration/keys-scale-out.test.ts",
  "test/integration/user-pool-replay-instances.test.ts",
];
// The browser tests (Chromium through playwright-core), on SQLite.
const browserSuites = ["test/e2e/**/*.test.ts"];
// Run on both backends: what they prove rests on SQL the two backends implement differently.
const onBothBackends = [
  // per-dataset counts under a lock: concurrent pushes serialize
  "test/integration/sync-push-pull.test.ts",
  // the change feed: stream positions in commit order, so a cursor never passes a later commit
  "test/integration/sync-changes.test.ts",
  // identity and dataset merges
  "test/integration/identity-merge.test.ts",
  "test/integration/merge-identities-backends.test.ts",
  "test/integration/client-merge.test.ts",
  "test/integration/client-guest-merge.test.ts",
  // the event stream: per-shard gap-free sequences, readers, consumers and their leases
  "test/integration/stream-events.test.ts",
  "test/integration/stream-storm.test.ts",
  "test/integration/consumer-handlers.test.ts",
  "test/integration/client-close-mid-pass.test.ts",
  // SIGKILL of a child server mid-burst: acknowledged pushes whole after a restart, cut-off ones whole
  // or absent, one stream event per committed push (SQLite's and PostgreSQL's group commit)
  "test/integration/crash-durability.test.ts",
  "test/integration/stream-crash.test.ts",
  // model items through applyPush: versions, OPTIMISTIC conflicts, sync pages
  "test/integration/appsync-models.test.ts",
  // owners' items in shared data: sparse owner pages, other rules' reads and writes
  "test/integration/appsync-owner-rules.test.ts",
  // model tombstones removed by the purge (DELETE by key hash on PostgreSQL), usage moved
  "test/integration/appsync-tombstones.test.ts",
  // the model API's delta sync: the change-time index and the sync count it maps lastSync to
  "test/integration/appsync-delta-sync.test.ts",
  // keys and secrets kept in the database; the storage pool metric
  "test/integration/keys-rotation.test.ts",
  "test/security/secrets-at-rest.test.ts",
  "test/integration/metrics.test.ts",
  // The user pool's SQL (users, codes, sessions, MFA, passkeys, groups, listings, the audit log)
  // is pinned on both backends by the conformance suite (storage-suite-user-pool*.ts and
  // storage-suite-auth-events.ts call every method of UserPoolStore and AuthEventStore); above it the
  // user pool is storage-agnostic. On PostgreSQL too, then, only end to end with unmodified Amplify,
  // and a trigger refused or failed while the user's transaction is open on the asynchronous driver,
  // leaving no user behind.
  "test/integration/user-pool-amplify.test.ts",
  "test/integration/user-pool-triggers.test.ts",
];

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
      // vitest's own timeouts (5 s a test, 10 s a hook): a file slow by nature (child processes,
      // several servers, argon2id hashing, long storms) declares its own, saying why.
      pool: "forks",
      // `expect.poll` waits for a fact; its bound is only how long a busy machine may take to
      // show it (vitest's 1 s default failed on 2 shared cores). A poll still ends as soon as the
      // fact holds, and a file that needs longer says so in its own options.
      expect: { poll: { timeout: 4_000 } },
      // Three workers on two cores: most files wait on sockets, child processes and PostgreSQL
      // more than they compute (vitest's default here would be one worker). Every wait in the
      // tests is for a fact, never a set time, so the suite also passes on a busy machine.
      maxWorkers: 3,
      // The longest files start first (see the sequencer), so none starts last and runs on alone.
      sequence: { sequencer: LongestFirstSequencer },
      // The server's code compiled once per run for the tests that start the CLI as a child process;
      // the run's reusable PostgreSQL schemas named, and dropped at its end.
      globalSetup: ["test/helpers/cli-build.ts", "test/helpers/postgres-run-schemas.ts"],
      // A promise rejected with nobody listening fails the test that caused it (an app's Node
      // process would exit on it); the helpers' end-of-file clean-up (children, schemas, temporary
      // files) runs after every file, see file-end.ts. With SYNCPOOL_TEST_CPU_LOG set, each file's CPU
      // time is logged (file-cpu.ts, first so that it counts the others' clean-up too).
      setupFiles: ["test/helpers/file-cpu.ts", "test/helpers/unhandled-rejection-trap.ts", "test/helpers/file-end-setup.ts"],
      projects: [
        // `isolate: false`: a worker runs file after file without re-importing the server's modules
        // (graphql, yoga, the AWS SDK...). Importing them again was most of the project's time:
        // seconds per file on a busy machine, for files whose tests take milliseconds.
        { extends: true, test: { name: "sqlite", include: ["test/**/*.test.ts"], exclude: [...postgresOnly, ...browserSuites], isolate: false } },
        // Chromium, Vite builds and a real server per file on a shared 2-core machine: slow by
        // nature, so these say so; their waits poll for what the page shows, never a fixed time.
        {
          extends: true,
          test: {
            name: "browser",
            include: browserSuites,
            testTimeout: 60_000,
            hookTimeout: 120_000,
            // One import of the server, Vite and playwright-core per worker, not per file (as in the other projects).
            isolate: false,
            // The notes app is built once per run for every file that serves it.
            globalSetup: ["test/helpers/cli-build.ts", "test/e2e/notes-build.ts"],
          },
        },
        ...(runPostgres
          ? ([
              {
                extends: true,
                test: {
                  name: "postgres",
                  include: [...postgresOnly, ...onBothBackends],
                  env: { SYNCPOOL_TEST_BACKEND: "postgres" },
                  // As in the sqlite project: one import of the server's modules per worker, not per file.
                  isolate: false,
                },
              },
            ] satisfies TestProjectInlineConfiguration[])
          : []),
      ],
    },
  };
});
