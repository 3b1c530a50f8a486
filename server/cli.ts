#!/usr/bin/env node
/**
 * The `syncpool` command. `syncpool serve` reads the environment and flags once (flags win),
 * starts the server, and stops it gracefully on SIGTERM/SIGINT (within
 * SYNCPOOL_SHUTDOWN_TIMEOUT_MS). A configuration mistake prints
 * one plain message per problem to stderr and exits 1, without a stack trace.
 */
import { Command } from "commander";
import { ConfigError, loadConfig } from "./config.js";

interface ServeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  config?: string;
  dev?: boolean;
}

const program = new Command()
  .name("syncpool")
  .description("Self-hosted, offline-first sync server: identity pools, datasets, GraphQL.")
  .showHelpAfterError();

program
  .command("serve")
  .description("serve the GraphQL sync API (http://127.0.0.1:4000/graphql by default)")
  .option("--port <port>", "port to listen on; 0 picks a free one (env PORT, default 4000)")
  .option("--host <host>", "address to bind; 0.0.0.0 serves other machines (env HOST, default 127.0.0.1)")
  .option("--data-dir <dir>", "where the database and keys live (env SYNCPOOL_DATA_DIR, default ./.syncpool)")
  .option("--config <file>", "JSON config file with identity pools (env SYNCPOOL_CONFIG)")
  .option("--dev", "local development: GraphiQL, schema introspection, CORS for any origin (never with NODE_ENV=production)")
  .action(async (flags: ServeFlags) => {
    try {
      const config = loadConfig(process.env, {
        port: flags.port,
        host: flags.host,
        dataDir: flags.dataDir,
        configFile: flags.config,
        dev: flags.dev,
      });
      // The server's modules load only for `serve`: the other commands start in a fraction of the time.
      const { closeOnSignals, startServer } = await import("./node.js");
      closeOnSignals(await startServer(config), config.shutdownTimeoutMs);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`syncpool: invalid configuration\n${error.message}\n`);
      process.exit(1);
    }
  });

// The command groups besides `serve`, each registered from its own module. Only the group named on
// the command line is loaded (all of them for the top-level help or an unknown name), so a command
// does not pay for importing every other command's code.
const commandGroups: Record<string, () => Promise<(program: Command) => void>> = {
  // syncpool stream read | bulk-publish (server/stream/stream-cli.ts)
  stream: async () => (await import("./stream/stream-cli.js")).registerStreamCommands,
  // syncpool keys rotate (server/keys/keys-cli.ts)
  keys: async () => (await import("./keys/keys-cli.js")).registerKeysCommands,
  // syncpool users list | create | disable | enable | delete | export | import (server/user-pool/users-cli.ts)
  users: async () => (await import("./user-pool/users-cli.js")).registerUsersCommands,
  // syncpool models import (server/models/models-cli.ts)
  models: async () => (await import("./models/models-cli.js")).registerModelsCommands,
};
const named = process.argv[2];
if (named === "serve") {
  // nothing else to register
} else if (named !== undefined && Object.hasOwn(commandGroups, named)) {
  (await commandGroups[named]!())(program);
} else {
  for (const load of Object.values(commandGroups)) (await load())(program);
}

await program.parseAsync(process.argv);
