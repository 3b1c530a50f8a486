/**
 * A real syncpool server for integration tests: the same `startServer` the CLI runs, on port 0,
 * with a fresh temporary data directory. Call `close()` (in `afterAll`) to stop it and delete the
 * directory; directories of servers a crashed test never closed are deleted when the process
 * exits.
 *
 * With `SYNCPOOL_TEST_BACKEND=postgres` (the "postgres" project of `vitest.config.ts`) each server
 * stores its data in a PostgreSQL schema of its own instead of SQLite, as if fresh (one an earlier
 * server of the file migrated, emptied by `close()`: `takeTestSchema` in `postgres.ts`); a server
 * restarted on the same data directory finds the same schema again (its name is kept in the
 * directory), and schemas of directories the test passed in are given back emptied when the file's tests end.
 *
 *   const server = await startTestServer();
 *   const { token } = await server.signInGuest();
 *   const { data, errors } = await server.gql("{ datasets { name } }", {}, token);
 *
 * `startInProcessServer()` builds the same server without binding a port: every request goes
 * through `SyncpoolServer.fetch(new Request(...))`, and `server.testFetch` is a `fetch` that does
 * that, for helpers that take one (`syncApi(server, token)`). Tests use it unless they need a
 * socket: WebSocket, SSE, the CLI, the AWS SDK (its own HTTP client) and several servers at once
 * (each such file says why in its header). In-process requests have no client address
 * (per-address limits see them as one unknown address).
 *
 *   const server = await startInProcessServer();
 *   const api = syncApi(server, (await server.signInGuest()).token);
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GraphQLFormattedError } from "graphql";
import { loadConfig, type ServerConfig } from "../../server/config.js";
import { createLogger, silentLogger, type Logger } from "../../server/logger.js";
import { startServer, type RunningServer, type StartServerOptions } from "../../server/node.js";
import { createSyncpoolServer, type SyncpoolServer } from "../../server/create-server.js";
import { openStorage, SQLITE_FILE_NAME } from "../../server/storage/open-storage.js";
import type { Storage } from "../../server/storage/storage.js";
import { postgresTestUrl, releaseTestSchema } from "./postgres.js";
import { schemaOfDirectory, TEST_POOL_SIZE, testBackend } from "./test-backend.js";

export { testBackend };

export interface TestServerOptions {
  /** Fields of the server config to set (pools, adminToken, tokenTtlSeconds...). */
  config?: Partial<ServerConfig>;
  /** Server time, epoch ms; pass a function over a variable to move time. */
  now?: () => number;
  /** Keep every log line (at trace level) for `logText()`. Off: logs are discarded. */
  captureLogs?: boolean;
  /** Reuse a data directory (restart tests); it is then not deleted by `close()`. */
  dataDir?: string;
  /** More options for the server (stream handlers, stream tuning, ...). */
  serverOptions?: Omit<StartServerOptions, "logger" | "now">;
}

/** What a GraphQL request answered. */
export interface GqlResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

/** `fetch`'s signature: what helpers that send requests take. */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A server without a port (`startInProcessServer`); everything but the socket of `TestServer`. */
export interface InProcessServer {
  /** e.g. `http://127.0.0.1:39123`; in-process a name nothing resolves, `http://syncpool.test`. */
  url: string;
  /** `${url}/graphql` */
  graphqlUrl: string;
  dataDir: string;
  storage: Storage;
  /** The sync server itself (push service, key ring, metrics...). */
  server: SyncpoolServer;
  /** Answers a request in-process; `path` is relative to `url` (e.g. "/graphql"). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** How this test's requests reach the server: global `fetch` with a port, `server.fetch` in-process. */
  testFetch: FetchFn;
  /** POSTs a GraphQL request (with `Authorization: Bearer <token>` when given). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResponse<T>>;
  /** Creates a guest in `poolId` (default "default"); throws when sign-in fails. */
  signInGuest(poolId?: string): Promise<{ identityId: string; token: string; deviceSecret: string }>;
  /** Every captured log line so far (with `captureLogs`). */
  logText(): string;
  /** Stops the server and deletes the temporary data directory. */
  close(): Promise<void>;
}

/** A server on 127.0.0.1, port 0 (`startTestServer`). */
export interface TestServer extends InProcessServer {
  running: RunningServer;
}

/** Routes `fetch(url, init)` to `server.fetch(new Request(url, init))`: no socket, whatever the URL's host. */
export function testFetch(server: Pick<SyncpoolServer, "fetch">): FetchFn {
  return (input, init) => server.fetch(new Request(input, init));
}

/** The base URL of in-process servers: a name nothing resolves, so a request that escapes to the network fails. */
export const IN_PROCESS_URL = "http://syncpool.test";

const pendingCleanup = new Set<string>();
process.once("exit", () => {
  for (const dir of pendingCleanup) rmSync(dir, { recursive: true, force: true });
});

/**
 * A SQLite database the migrations brought to the newest version, made once per worker: a server
 * of a fresh directory starts on a copy of it (still empty: no keys, pools or users), so each
 * does not run every migration again. Starting on an empty directory, and migrating an older
 * database, are what the storage, CLI and restart tests prove.
 */
let migratedTemplate: Promise<string> | undefined;
function migratedSqliteTemplate(): Promise<string> {
  return (migratedTemplate ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "syncpool-test-template-"));
    pendingCleanup.add(dir);
    // Closing checkpoints the write-ahead log into the file: the copy is the whole database.
    await (await openStorage({ dataDir: dir, sqliteSynchronous: "NORMAL" })).close();
    return join(dir, SQLITE_FILE_NAME);
  })());
}

/** Starts a server on 127.0.0.1, port 0. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const setup = await prepare(options);
  const running = await startServer(setup.config, setup.serverOptions).catch(async (error: unknown) => {
    await setup.cleanUp();
    throw error;
  });
  const server = wrap(setup, running.server, running.url, fetch, () => running.close());
  return { ...server, running };
}

/** Builds a server without binding a port: requests reach it through `fetch`, `testFetch`, `gql`. */
export async function startInProcessServer(options: TestServerOptions = {}): Promise<InProcessServer> {
  const setup = await prepare(options);
  const server = await createSyncpoolServer(setup.config, setup.serverOptions).catch(async (error: unknown) => {
    await setup.cleanUp();
    throw error;
  });
  return wrap(setup, server, IN_PROCESS_URL, testFetch(server), () => server.close());
}

interface Setup {
  config: ServerConfig;
  serverOptions: StartServerOptions;
  dataDir: string;
  lines: string[];
  cleanUp(): Promise<void>;
}

/** The config, logger and data directory (and PostgreSQL schema) of one test server. */
async function prepare(options: TestServerOptions): Promise<Setup> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "syncpool-test-"));
  if (ownsDir) pendingCleanup.add(dataDir);

  const usePostgres = testBackend === "postgres" && !options.serverOptions?.storage && !options.config?.databaseUrl;
  const schema = usePostgres ? await schemaOfDirectory(dataDir, ownsDir, true) : null;
  const ownSqlite = !usePostgres && ownsDir && !options.serverOptions?.storage && !options.config?.databaseUrl;
  if (ownSqlite) copyFileSync(await migratedSqliteTemplate(), join(dataDir, SQLITE_FILE_NAME));
  const config: ServerConfig = {
    ...loadConfig({ LOG_LEVEL: "silent" }, { port: 0, host: "127.0.0.1", dataDir }),
    // Tests do not pull the plug; the crash test runs the real CLI with FULL.
    sqliteSynchronous: "NORMAL",
    ...(schema ? { databaseUrl: postgresTestUrl, databaseSchema: schema, databasePoolSize: TEST_POOL_SIZE } : {}),
    ...options.config,
  };
  const lines: string[] = [];
  // The server's own logger (same redaction), at its most talkative, writing into `lines`.
  const logger: Logger = options.captureLogs
    ? createLogger({ level: "trace", destination: { write: (line: string) => void lines.push(line) } })
    : silentLogger();
  const cleanUp = async () => {
    if (schema && ownsDir) await releaseTestSchema(schema);
    if (ownsDir) {
      rmSync(dataDir, { recursive: true, force: true });
      pendingCleanup.delete(dataDir);
    }
  };
  return { config, serverOptions: { ...options.serverOptions, logger, ...(options.now ? { now: options.now } : {}) }, dataDir, lines, cleanUp };
}

function wrap(setup: Setup, server: SyncpoolServer, url: string, send: FetchFn, stop: () => Promise<void>): InProcessServer {
  const graphqlUrl = `${url}/graphql`;
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResponse<T>> => {
    const response = await send(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as Omit<GqlResponse<T>, "status">) };
  };
  let closing: Promise<void> | undefined;
  return {
    url,
    graphqlUrl,
    dataDir: setup.dataDir,
    storage: server.storage,
    server,
    fetch: (path, init) => server.fetch(new Request(new URL(path, url), init)),
    testFetch: send,
    gql,
    async signInGuest(poolId = "default") {
      const { data, errors } = await gql<{ signIn: { identityId: string; token: string; deviceSecret: string } }>(
        `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret } }`,
        { input: { identityPoolId: poolId } },
      );
      if (!data?.signIn) throw new Error(`signIn failed: ${JSON.stringify(errors)}`);
      return data.signIn;
    },
    logText: () => setup.lines.join(""),
    close: () =>
      (closing ??= (async () => {
        await stop();
        await setup.cleanUp();
      })()),
  };
}
