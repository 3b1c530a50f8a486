/**
 * Picks and opens the storage backend from configuration, migrated and ready. The one place that
 * knows which adapters exist, so the rest of the server only sees `Storage`.
 */
import { join } from "node:path";
import type { Storage } from "./storage.js";

export interface OpenStorageOptions {
  /** Directory for the embedded database (`syncpool.db` inside it). */
  dataDir: string;
  /** A `postgres://` (or `postgresql://`) URL selects PostgreSQL instead of the embedded SQLite file. */
  databaseUrl?: string | undefined;
  /** PostgreSQL only: the schema holding syncpool's tables (created if missing). Default `public`. */
  postgresSchema?: string | undefined;
  /** PostgreSQL only: connections in the pool. Default 10. */
  postgresPoolSize?: number | undefined;
  /** SQLite only: see `SqliteStorageOptions.synchronous`. Default FULL. */
  sqliteSynchronous?: "FULL" | "NORMAL";
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean;
  /**
   * A storage write called from inside another write's callback would wait for itself forever;
   * with this on (the default) it throws at once instead, naming the mistake. The check follows
   * each write's async context with AsyncLocalStorage, which from the first write on costs
   * something on every promise of the process. The server turns it off with `NODE_ENV=production`.
   */
  detectNestedWrites?: boolean;
}

/** The file name of the embedded database inside the data directory. */
export const SQLITE_FILE_NAME = "syncpool.db";

/**
 * Opens the configured storage and, unless told otherwise, migrates it, so a server never runs
 * against a schema older than its code. Closes the storage again if migrating fails. PostgreSQL
 * connects lazily, so a wrong `databaseUrl` surfaces here, from the migration, naming the URL.
 */
export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  const storage = options.databaseUrl ? await openPostgres(options.databaseUrl, options) : await openSqlite(options);
  if (options.migrate ?? true) {
    try {
      await storage.migrate();
    } catch (error) {
      await storage.close();
      if (!options.databaseUrl) throw error;
      // pg's errors ("connect ECONNREFUSED", "database … does not exist") do not say which setting.
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`PostgreSQL storage at ${redactUrl(options.databaseUrl)} could not be migrated: ${message}`, { cause: error });
    }
  }
  return storage;
}

// Each backend (and its driver) is loaded only when chosen: a SQLite server never loads pg.
async function openSqlite(options: OpenStorageOptions): Promise<Storage> {
  const { openSqliteStorage } = await import("./sqlite.js");
  return openSqliteStorage({ file: join(options.dataDir, SQLITE_FILE_NAME), synchronous: options.sqliteSynchronous ?? "FULL", detectNestedWrites: options.detectNestedWrites ?? true });
}

async function openPostgres(url: string, options: OpenStorageOptions): Promise<Storage> {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new Error(`Unsupported database URL ${redactUrl(url)}: only postgres:// and postgresql:// are supported`);
  }
  const { openPostgresStorage } = await import("./postgres.js");
  return openPostgresStorage({
    url,
    ...(options.postgresSchema ? { schema: options.postgresSchema } : {}),
    ...(options.postgresPoolSize ? { poolSize: options.postgresPoolSize } : {}),
    detectNestedWrites: options.detectNestedWrites ?? true,
  });
}

/** The URL without its password, for error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
