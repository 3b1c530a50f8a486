#!/usr/bin/env node
/**
 * The `syncpool` command. `syncpool serve` reads the environment and flags once (flags win),
 * starts the server, and stops it gracefully on SIGTERM/SIGINT (within
 * SYNCPOOL_SHUTDOWN_TIMEOUT_MS). A configuration mistake prints
 * one plain message per problem to stderr and exits 1, without a stack trace.
 */
import { Command } from "commander";
import { ConfigError, loadConfig } from "./config.js";
import { registerKeysCommands } from "./keys/keys-cli.js";
import { registerModelsCommands } from "./models/models-cli.js";
import { closeOnSignals, startServer } from "./node.js";
import { registerStreamCommands } from "./stream/stream-cli.js";
import { registerUsersCommands } from "./user-pool/users-cli.js";

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
      closeOnSignals(await startServer(config), config.shutdownTimeoutMs);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`syncpool: invalid configuration\n${error.message}\n`);
      process.exit(1);
    }
  });

// syncpool stream read | bulk-publish (server/stream/stream-cli.ts)
registerStreamCommands(program);
// syncpool keys rotate (server/keys/keys-cli.ts)
registerKeysCommands(program);
// syncpool users list | create | disable | enable | delete | export | import (server/user-pool/users-cli.ts)
registerUsersCommands(program);
// syncpool models import (server/models/models-cli.ts)
registerModelsCommands(program);

await program.parseAsync(process.argv);
