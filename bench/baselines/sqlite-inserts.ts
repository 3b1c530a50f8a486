/**
 * Baseline: what better-sqlite3 itself does on this disk, with nothing of ours around it. Rows of
 * about the size of a single-patch push (a key, a 40-byte value, a count), into a WAL database
 * like the server's: all in one transaction, and one commit per row under synchronous FULL (the
 * server's default: an fsync per commit) and NORMAL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import BetterSqlite3 from "better-sqlite3";

export interface SqliteInsertBaseline {
  /** Rows per second, all inserts in one transaction. */
  oneTransactionPerSecond: number;
  /** Rows per second, one transaction (commit) per row, synchronous FULL. */
  commitEachFullPerSecond: number;
  /** The same with synchronous NORMAL (no fsync per commit in WAL mode). */
  commitEachNormalPerSecond: number;
}

/** Measures the three insert rates; `quick` shortens each. */
export function measureSqliteInserts(quick: boolean): SqliteInsertBaseline {
  const dir = mkdtempSync(join(tmpdir(), "syncpool-bench-sqlite-"));
  try {
    const rows = quick ? 50_000 : 200_000;
    const windowMs = quick ? 1000 : 3000;
    return {
      oneTransactionPerSecond: withDb(dir, "tx", "FULL", (insert, db) => {
        const started = performance.now();
        db.transaction(() => {
          for (let row = 0; row < rows; row++) insert(row);
        })();
        return rows / ((performance.now() - started) / 1000);
      }),
      commitEachFullPerSecond: withDb(dir, "full", "FULL", (insert) => insertEach(insert, windowMs)),
      commitEachNormalPerSecond: withDb(dir, "normal", "NORMAL", (insert) => insertEach(insert, windowMs)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Insert = (row: number) => void;

/** Autocommit inserts (each its own transaction) for `windowMs`; rows per second. */
function insertEach(insert: Insert, windowMs: number): number {
  const started = performance.now();
  let row = 0;
  while (performance.now() - started < windowMs) insert(row++);
  return row / ((performance.now() - started) / 1000);
}

function withDb(dir: string, name: string, synchronous: "FULL" | "NORMAL", measure: (insert: Insert, db: BetterSqlite3.Database) => number): number {
  const db = new BetterSqlite3(join(dir, `${name}.db`));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous}`);
    db.exec("CREATE TABLE records (dataset TEXT NOT NULL, key TEXT NOT NULL, value TEXT, sync_count INTEGER NOT NULL, PRIMARY KEY (dataset, key))");
    const statement = db.prepare("INSERT INTO records (dataset, key, value, sync_count) VALUES (?, ?, ?, ?)");
    const value = "x".repeat(40);
    return measure((row) => void statement.run("bench", `key-${row}`, value, row), db);
  } finally {
    db.close();
  }
}
