/**
 * `syncpool models import`: a DynamoDB table export (DynamoDB JSON, one item per line) written as
 * a model's items through the normal commit path, so the stream, the pool's sync trigger, push
 * and DataStore's next sync see them as any write. The whole file is read and checked first;
 * nothing is written when a line is bad.
 *
 *   syncpool models import --pool app --model Todo todos.json
 */
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Command } from "commander";
import { failCommand as fail, openCommandStorage } from "../cli-storage.js";
import { poolOwnerId } from "../identity/shared-access.js";
import { createLogger } from "../logger.js";
import { createPostSigned } from "../stream/post-signed.js";
import { createSyncTrigger } from "../stream/sync-trigger.js";
import type { SyncDeps } from "../sync/types.js";
import { MODEL_DATASET_LIMITS } from "./appsync-api.js";
import { DynamoJsonError, parseDynamoExport } from "./dynamodb-json.js";
import { createModelItems, modelDataset, type ModelTarget } from "./model-items.js";
import { parseAppModels } from "./model-schema.js";

/** AppSync's metadata and DynamoDB's bookkeeping: the server sets its own, so an export's are dropped. */
const DROPPED = new Set(["_version", "_lastChangedAt", "_ttl", "__typename"]);

interface ImportFlags {
  pool: string;
  model: string;
  dataDir?: string;
  config?: string;
}

/** Adds `models import` to the program. */
export function registerModelsCommands(program: Command): void {
  const models = program.command("models").description("import a model's items");
  models
    .command("import")
    .description("write a DynamoDB table export (DynamoDB JSON, one {\"Item\": …} per line) as a model's items")
    .requiredOption("--pool <id>", "the identity pool whose models the items belong to")
    .requiredOption("--model <name>", "the @model type, e.g. Todo")
    .option("--data-dir <dir>", "where the database lives (env SYNCPOOL_DATA_DIR)")
    .option("--config <file>", "JSON config file with the pool's models (env SYNCPOOL_CONFIG)")
    .argument("<file>", "the export: one item per line")
    .action(async (file: string, flags: ImportFlags) => importCommand(file, flags));
}

async function importCommand(file: string, flags: ImportFlags): Promise<void> {
  let items: Array<Record<string, unknown>>;
  try {
    items = parseDynamoExport(await readFile(file, "utf8"));
  } catch (error) {
    if (error instanceof DynamoJsonError) return fail(`models import: ${file} ${error.message}; nothing was imported`);
    throw error;
  }
  const opened = await openCommandStorage({ dataDir: flags.dataDir, configFile: flags.config });
  if (!opened) return;
  const { config, storage } = opened;
  try {
    const pool = config.pools.find((candidate) => candidate.id === flags.pool);
    if (!pool?.models) return fail(`models import: no pool "${flags.pool}" with models in this configuration`);
    const model = parseAppModels(pool.models.schema).models.find((candidate) => candidate.name === flags.model);
    if (!model) return fail(`models import: the pool's schema has no @model type "${flags.model}"`);
    if (model.ownerScoped) return fail(`models import: ${model.name} keeps its items in each owner's own data (an owner rule and no public, private or groups rule); importing them is not served yet`);
    const missing = items.findIndex((item) => typeof item["id"] !== "string" || item["id"] === "");
    if (missing !== -1) return fail(`models import: item ${missing + 1} has no string id; nothing was imported`);
    if ((await storage.keys.serverKeyGeneration().catch(() => 0)) === 0) return fail("this database has not been set up yet: start `syncpool serve` on it once first");

    const logger = createLogger({ level: config.logLevel });
    const trigger = pool.syncTrigger
      ? createSyncTrigger(pool.syncTrigger, { baseDir: config.configFile ? dirname(config.configFile) : process.cwd(), post: createPostSigned(config.outbound), now: Date.now, logger })
      : null;
    const deps: SyncDeps = {
      storage,
      now: Date.now,
      sessionSecrets: () => [],
      stream: { poolStream: async () => ({ shards: pool.stream.shards, region: pool.region, trigger }), onAppended: () => undefined },
    };
    const handler = pool.models.conflictHandlers[model.name] ?? pool.models.conflictHandler;
    const target: ModelTarget = {
      caller: { identityId: poolOwnerId(pool.id), poolId: pool.id, limits: { ...pool.limits, ...MODEL_DATASET_LIMITS } },
      dataset: modelDataset(model.name),
      strategy: handler === "AUTOMERGE" ? "CRDT" : "OPTIMISTIC",
    };
    const modelItems = createModelItems(deps);
    for (const item of items) {
      const id = item["id"] as string;
      const fields = Object.fromEntries(Object.entries(item).filter(([name]) => name !== "id" && !DROPPED.has(name)));
      // An item already here is replaced, over its current version.
      const existing = await modelItems.readItem(target, id);
      const outcome = await modelItems.writeItem(target, id, fields, { replace: true, baseVersion: existing?._version ?? 0 });
      if ("conflict" in outcome) throw new Error(`${id} changed while it was imported`);
    }
    process.stdout.write(`${JSON.stringify({ imported: items.length, pool: pool.id, model: model.name })}\n`);
  } finally {
    await storage.close();
  }
}
