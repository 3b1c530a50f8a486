/**
 * `syncpool stream read` and `syncpool stream bulk-publish`. They open the database the server
 * uses, named by the same settings as `syncpool serve` (--data-dir / --config / DATABASE_URL), and
 * need neither a running server nor the admin token: whoever can open the database may read it.
 * They never migrate it (that is the server's job at start): an older schema is an error.
 * SQLite in WAL mode lets them run beside a live server; appends by the CLI (bulk publish) take
 * the same locks as the server's, so sequences stay gap-free.
 *
 *   syncpool stream read --pool default --from TRIM_HORIZON        # JSON lines, then exit
 *   syncpool stream read --pool default --shard 2 --from LATEST --follow
 *   syncpool stream bulk-publish --pool default                     # progress bar on stderr
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { isSyncpoolError } from "../../core/errors.js";
import { openCommandStorage } from "../cli-storage.js";
import type { ServerConfig } from "../config.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import { readStoredPool } from "../identity/pools.js";
import { silentLogger } from "../logger.js";
import { createSecretBox, loadMasterKey } from "../secret-box.js";
import type { Storage } from "../storage/storage.js";
import { bulkPublishDetails, startBulkPublish } from "./bulk-publish.js";
import { ITERATOR_TYPES, readStreamRecords, resolveIterator, type ShardIteratorInput } from "./read-stream.js";

interface StorageFlags {
  pool: string;
  dataDir?: string;
  config?: string;
}

interface ReadFlags extends StorageFlags {
  shard?: string;
  from: string;
  follow?: boolean;
  pollMs: string;
}

/** Adds the `stream` commands to the `syncpool` program. */
export function registerStreamCommands(program: Command): void {
  const stream = program.command("stream").description("read the event stream, publish datasets into it");
  const withStorageFlags = (command: Command) =>
    command
      .requiredOption("--pool <id>", "identity pool id")
      .option("--data-dir <dir>", "the server's data directory (env SYNCPOOL_DATA_DIR, default ./.syncpool)")
      .option("--config <file>", "the server's JSON config file (env SYNCPOOL_CONFIG)");

  withStorageFlags(stream.command("read"))
    .description("print stream records as JSON lines (one per event)")
    .option("--shard <n>", "one shard (default: every shard of the pool, one after another)")
    .option("--from <iterator>", `where to start: ${ITERATOR_TYPES.join(" | ")}, e.g. AT_SEQUENCE_NUMBER:42 or AT_TIMESTAMP:2026-01-01T00:00:00Z`, "TRIM_HORIZON")
    .option("--follow", "keep printing new events until interrupted")
    .option("--poll-ms <ms>", "how often --follow looks for new events", "1000")
    .action((flags: ReadFlags) => {
      const iterator = parseFrom(flags.from);
      const pollMs = Number(flags.pollMs);
      const shard = flags.shard === undefined ? undefined : Number(flags.shard);
      if (!iterator || !(pollMs >= 10) || (shard !== undefined && !(Number.isInteger(shard) && shard >= 0))) {
        process.stderr.write(`syncpool: --from must be one of ${ITERATOR_TYPES.join(", ")} (with :<value> where needed), --shard a shard number, --poll-ms at least 10\n`);
        process.exitCode = 2;
        return;
      }
      return runCommand(flags, (storage, pool) => readCommand(storage, pool, { iterator, pollMs, shard, follow: flags.follow === true }));
    });

  withStorageFlags(stream.command("bulk-publish"))
    .description("publish every live dataset of the pool into its stream; prints the outcome as JSON")
    .action((flags: StorageFlags) => runCommand(flags, (storage, pool) => bulkPublishCommand(storage, pool)));
}

/** Opens storage for the flags, runs `body`, closes; configuration mistakes print plainly and exit 1. */
async function runCommand(flags: StorageFlags, body: (storage: Storage, pool: PoolSettings) => Promise<number>): Promise<void> {
  const opened = await openCommandStorage({ dataDir: flags.dataDir, configFile: flags.config });
  if (!opened) return;
  const { config, storage } = opened;
  let code: number;
  try {
    const pool = await findPool(storage, config, flags.pool);
    code = pool ? await body(storage, pool) : (process.stderr.write(`syncpool: no identity pool "${flags.pool}"\n`), 1);
  } catch (error) {
    if (!isSyncpoolError(error)) throw error;
    process.stderr.write(`syncpool: ${error.message}\n`);
    code = 2;
  } finally {
    await storage.close();
  }
  process.exitCode = code;
}

/** The pool from the config file (which wins, as when serving) or from storage. */
async function findPool(storage: Storage, config: ServerConfig, poolId: string): Promise<PoolSettings | null> {
  const configured = config.pools.find((pool) => pool.id === poolId);
  if (configured) return configured;
  const stored = await storage.pools.getPool(poolId);
  // Stored settings carry the pool's origin and sealed secrets: read them as the server does.
  return stored ? readStoredPool(stored, createSecretBox(await loadMasterKey(config.dataDir, config.masterKey))).settings : null;
}

interface ReadOptions {
  iterator: ShardIteratorInput;
  pollMs: number;
  /** One shard, or every shard of the pool when undefined. */
  shard: number | undefined;
  follow: boolean;
}

async function readCommand(storage: Storage, pool: PoolSettings, options: ReadOptions): Promise<number> {
  const { iterator, pollMs, follow } = options;
  const shards = options.shard === undefined ? Array.from({ length: pool.stream.shards }, (_, shard) => shard) : [options.shard];
  const next = new Map<number, number>();
  for (const shard of shards) next.set(shard, await resolveIterator(storage.stream, pool.id, shard, iterator));
  // Said on stderr, so stdout stays JSON lines; scripts (and tests) wait for it before writing.
  if (follow) process.stderr.write(`syncpool: following ${shards.length} shard(s) of pool "${pool.id}"; Ctrl-C to stop\n`);

  let stopped = false;
  const stop = () => (stopped = true);
  process.once("SIGINT", stop).once("SIGTERM", stop);
  do {
    for (const shard of shards) {
      for (;;) {
        const page = await readStreamRecords(storage.stream, pool.id, shard, next.get(shard)!, 1000);
        for (const record of page.records) process.stdout.write(`${JSON.stringify(record)}\n`);
        if (page.records.length === 0) break;
        next.set(shard, Number(page.records.at(-1)!.sequenceNumber) + 1);
      }
    }
    if (follow) await new Promise((resolve) => setTimeout(resolve, pollMs));
  } while (follow && !stopped);
  return 0;
}

async function bulkPublishCommand(storage: Storage, pool: PoolSettings): Promise<number> {
  const deps = { storage, now: Date.now, logger: silentLogger() };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `bulk publish ${pool.id} [{bar}] {value}/{total} datasets`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let job;
  try {
    job = await startBulkPublish(deps, pool.id, pool.stream.shards, {
      onProgress: (row) => {
        bar.setTotal(row.total);
        bar.update(row.published);
      },
    });
  } catch (error) {
    process.stderr.write(`syncpool: ${(error as Error).message}\n`);
    return 1;
  }
  bar.start(job.row.total, 0);
  const final = await job.run();
  bar.stop();
  process.stdout.write(`${JSON.stringify(await bulkPublishDetails(deps, pool.id))}\n`);
  return final.status === "SUCCEEDED" ? 0 : 1;
}

/** `TYPE` or `TYPE:value` as an iterator, or null. */
function parseFrom(text: string): ShardIteratorInput | null {
  const [type, ...rest] = text.split(":");
  const value = rest.join(":");
  if (!(ITERATOR_TYPES as readonly string[]).includes(type!)) return null;
  const iterator: ShardIteratorInput = { type: type as ShardIteratorInput["type"] };
  if (type === "AT_SEQUENCE_NUMBER" || type === "AFTER_SEQUENCE_NUMBER") {
    if (!/^\d+$/.test(value)) return null;
    iterator.sequenceNumber = value;
  }
  if (type === "AT_TIMESTAMP") {
    const timestamp = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(timestamp)) return null;
    iterator.timestamp = timestamp;
  }
  return iterator;
}
