/**
 * `syncpool keys rotate`: replaces the token signing key and the sync session secret with new
 * ones, keeping the previous ones for verification, in the database the server uses (named by the
 * same settings as `syncpool serve`: --data-dir / DATABASE_URL / SYNCPOOL_MASTER_KEY). Running
 * servers pick the new keys up within a second; tokens signed before keep working until they
 * expire. Needs no running server and no admin token: whoever can open the database and the master
 * key holds the keys anyway. It never migrates the database (the server's job at start).
 *
 *   syncpool keys rotate      # prints {"rotated":[{"kind":"token-signing","keyId":"…"},…],"generation":7}
 */
import type { Command } from "commander";
import { ConfigError, loadConfig } from "../config.js";
import { createSecretBox, loadMasterKey } from "../secret-box.js";
import { openStorage } from "../storage/open-storage.js";
import { rotateServerKeys } from "./key-ring.js";

interface KeysFlags {
  dataDir?: string;
}

/** Adds the `keys` commands to the `syncpool` program. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command("keys").description("manage the server's signing keys and secrets");
  keys
    .command("rotate")
    .description("sign new tokens with a new key; tokens signed before stay valid until they expire")
    .option("--data-dir <dir>", "the server's data directory (env SYNCPOOL_DATA_DIR, default ./.syncpool)")
    .action((flags: KeysFlags) => rotateCommand(flags));
}

async function rotateCommand(flags: KeysFlags): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { dataDir: flags.dataDir });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(`invalid configuration\n${error.message}`);
  }
  const storage = await openStorage({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl ?? undefined,
    postgresSchema: config.databaseSchema,
    sqliteSynchronous: config.sqliteSynchronous,
    migrate: false,
  });
  try {
    // Before reading the master key: on SQLite that would create a key file nothing was sealed with.
    if ((await storage.serverKeyGeneration().catch(() => 0)) === 0) {
      return fail("no server keys in this database yet: start `syncpool serve` on it once, then rotate");
    }
    const box = createSecretBox(await loadMasterKey(config.dataDir, config.masterKey));
    const rotated = await rotateServerKeys(storage, box, Date.now);
    const generation = Math.max(...rotated.map((row) => row.generation));
    process.stdout.write(`${JSON.stringify({ rotated: rotated.map(({ kind, keyId }) => ({ kind, keyId })), generation })}\n`);
  } finally {
    await storage.close();
  }
}

function fail(message: string): void {
  process.stderr.write(`syncpool: ${message}\n`);
  process.exitCode = 1;
}
