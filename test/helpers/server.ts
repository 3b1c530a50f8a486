/**
 * A real syncpool server for integration tests: the same `startServer` the CLI runs, on port 0,
 * with a fresh temporary data directory. Call `close()` (in `afterAll`) to stop it and delete the
 * directory; directories of servers a crashed test never closed are deleted when the process
 * exits.
 *
 *   const server = await startTestServer();
 *   const { token } = await server.signInGuest();
 *   const { data, errors } = await server.gql("{ datasets { name } }", {}, token);
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GraphQLFormattedError } from "graphql";
import { loadConfig, type ServerConfig } from "../../server/config.js";
import { createLogger, silentLogger, type Logger } from "../../server/logger.js";
import { startServer, type RunningServer, type StartServerOptions } from "../../server/node.js";
import type { Storage } from "../../server/storage/storage.js";

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

export interface TestServer {
  /** e.g. `http://127.0.0.1:39123` */
  url: string;
  /** `${url}/graphql` */
  graphqlUrl: string;
  dataDir: string;
  storage: Storage;
  running: RunningServer;
  /** POSTs a GraphQL request (with `Authorization: Bearer <token>` when given). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResponse<T>>;
  /** Creates a guest in `poolId` (default "default"); throws when sign-in fails. */
  signInGuest(poolId?: string): Promise<{ identityId: string; token: string; deviceSecret: string }>;
  /** Every captured log line so far (with `captureLogs`). */
  logText(): string;
  /** Stops the server and deletes the temporary data directory. */
  close(): Promise<void>;
}

const pendingCleanup = new Set<string>();
process.once("exit", () => {
  for (const dir of pendingCleanup) rmSync(dir, { recursive: true, force: true });
});

/** Starts a server on 127.0.0.1, port 0. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "syncpool-test-"));
  if (ownsDir) pendingCleanup.add(dataDir);

  const config: ServerConfig = {
    ...loadConfig({ LOG_LEVEL: "silent" }, { port: 0, host: "127.0.0.1", dataDir }),
    // Tests do not pull the plug; the crash test runs the real CLI with FULL.
    sqliteSynchronous: "NORMAL",
    ...options.config,
  };
  const lines: string[] = [];
  // The server's own logger (same redaction), at its most talkative, writing into `lines`.
  const logger: Logger = options.captureLogs
    ? createLogger({ level: "trace", destination: { write: (line: string) => void lines.push(line) } })
    : silentLogger();

  const running = await startServer(config, { ...options.serverOptions, logger, ...(options.now ? { now: options.now } : {}) });

  const gql = async <T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResponse<T>> => {
    const response = await fetch(running.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as Omit<GqlResponse<T>, "status">) };
  };

  return {
    url: running.url,
    graphqlUrl: running.graphqlUrl,
    dataDir,
    storage: running.server.storage,
    running,
    gql,
    async signInGuest(poolId = "default") {
      const { data, errors } = await gql<{ signIn: { identityId: string; token: string; deviceSecret: string } }>(
        `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret } }`,
        { input: { identityPoolId: poolId } },
      );
      if (!data?.signIn) throw new Error(`signIn failed: ${JSON.stringify(errors)}`);
      return data.signIn;
    },
    logText: () => lines.join(""),
    async close() {
      await running.close();
      if (ownsDir) {
        rmSync(dataDir, { recursive: true, force: true });
        pendingCleanup.delete(dataDir);
      }
    },
  };
}
