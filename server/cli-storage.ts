/**
 * What every storage-reading CLI command (`syncpool stream …`, `syncpool keys …`) does first: read
 * the configuration as `serve` would and open its storage without migrating. A configuration
 * mistake prints plainly and sets exit code 1 instead of throwing a stack trace at the operator.
 */
import { ConfigError, loadConfig, type ServerConfig } from "./config.js";
import { openStorage } from "./storage/open-storage.js";
import type { Storage } from "./storage/storage.js";

/** Prints `syncpool: <message>` on stderr and sets exit code 1. */
export function failCommand(message: string): void {
  process.stderr.write(`syncpool: ${message}\n`);
  process.exitCode = 1;
}

/**
 * The configuration for `overrides` (flags) and its storage, opened without migrating; null after
 * reporting a configuration mistake. The caller closes the storage.
 */
export async function openCommandStorage(overrides: { dataDir?: string; configFile?: string }): Promise<{ config: ServerConfig; storage: Storage } | null> {
  let config: ServerConfig;
  try {
    config = loadConfig(process.env, overrides);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    failCommand(`invalid configuration\n${error.message}`);
    return null;
  }
  const storage = await openStorage({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl ?? undefined,
    postgresSchema: config.databaseSchema,
    sqliteSynchronous: config.sqliteSynchronous,
    detectNestedWrites: !config.production,
    migrate: false,
  });
  return { config, storage };
}
