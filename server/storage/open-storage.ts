/**
 * Picks and opens the storage backend from configuration, migrated and ready. The one place that
 * knows which adapters exist, so the rest of the server only sees `Storage`.
 */
import { join } from "node:path";
import { openSqliteStorage } from "./sqlite.js";
import type { Storage } from "./storage.js";

export interface OpenStorageOptions {
  /** Directory for the embedded database (`syncpool.db` inside it). */
  dataDir: string;
  /** A `postgres://` URL selects PostgreSQL instead of the embedded SQLite file. */
  databaseUrl?: string | undefined;
  /** SQLite only: see `SqliteStorageOptions.synchronous`. Default FULL. */
  sqliteSynchronous?: "FULL" | "NORMAL";
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean;
}

/** The file name of the embedded database inside the data directory. */
export const SQLITE_FILE_NAME = "syncpool.db";

/**
 * Opens the configured storage and, unless told otherwise, migrates it, so a server never runs
 * against a schema older than its code. Closes the storage again if migrating fails.
 */
export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  if (options.databaseUrl) {
    throw new Error("PostgreSQL storage (DATABASE_URL) is not available yet; unset it to use the embedded SQLite file");
  }
  const storage = await openSqliteStorage({
    file: join(options.dataDir, SQLITE_FILE_NAME),
    synchronous: options.sqliteSynchronous ?? "FULL",
  });
  if (options.migrate ?? true) {
    try {
      await storage.migrate();
    } catch (error) {
      await storage.close();
      throw error;
    }
  }
  return storage;
}
