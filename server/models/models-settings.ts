/**
 * A pool's `models` settings: the app's Amplify GraphQL schema (its SDL; a config file names the
 * file and `config-file.ts` reads it in) and the conflict handler per model, as AppSync
 * configures them, and how long deleted items stay as tombstones. The schema is parsed here, so a pool whose models cannot be served is refused
 * when the config is read, not at the first request.
 */
import { z } from "zod";
import { isSyncpoolError } from "../../core/errors.js";
import { syncTriggerSchema } from "../stream/sync-trigger-settings.js";
import { parseAppModels } from "./model-schema.js";

/** The conflict handlers AppSync offers. LAMBDA calls `lambdaConflictHandler` (`lambda-conflict.ts`). */
export const CONFLICT_HANDLERS = ["AUTOMERGE", "OPTIMISTIC_CONCURRENCY", "LAMBDA"] as const;
export type ConflictHandler = (typeof CONFLICT_HANDLERS)[number];

const handler = z.enum(CONFLICT_HANDLERS, { error: "expected AUTOMERGE, OPTIMISTIC_CONCURRENCY or LAMBDA" });

/**
 * Days a deleted item stays as a tombstone before the purge removes it: 30, as Amplify provisions
 * AppSync's versioned tables (BaseTableTTL of 43,200 minutes). A delta sync from further back than
 * this is answered as a base sync (`model-sync.ts`), since deletes older than it may be gone.
 */
export const DEFAULT_TOMBSTONE_TTL_DAYS = 30;

/** `models` in a pool's settings. */
export const modelsSettingsSchema = z
  .object({
    schema: z.string({ error: "expected the schema's SDL" }).min(1).max(1_000_000, { error: "expected at most 1 MB of SDL" }),
    conflictHandler: handler.default("AUTOMERGE"),
    conflictHandlers: z.record(z.string(), handler, { error: "expected an object of model names to handlers" }).default({}),
    tombstoneTtlDays: z
      .number({ error: "expected a number of days" })
      .int({ error: "expected a whole number of days" })
      .min(1, { error: "expected at least 1 day" })
      .max(3650, { error: "expected at most 3650 days" })
      .default(DEFAULT_TOMBSTONE_TTL_DAYS),
    // AppSync's LambdaConflictHandlerConfig: the hook LAMBDA models call on a version conflict,
    // written as a sync trigger is (an in-process module or a signed HTTPS endpoint).
    lambdaConflictHandler: syncTriggerSchema.optional(),
  })
  .strict()
  .superRefine((settings, ctx) => {
    let names: string[];
    try {
      names = parseAppModels(settings.schema).models.map((model) => model.name);
    } catch (error) {
      if (!isSyncpoolError(error)) throw error;
      ctx.addIssue({ code: "custom", message: error.message, path: ["schema"] });
      return;
    }
    const lambda = [settings.conflictHandler, ...Object.values(settings.conflictHandlers)].includes("LAMBDA");
    if (lambda && settings.lambdaConflictHandler === undefined) {
      ctx.addIssue({ code: "custom", message: "required when a conflictHandler is LAMBDA", path: ["lambdaConflictHandler"] });
    }
    for (const name of Object.keys(settings.conflictHandlers)) {
      if (!names.includes(name)) ctx.addIssue({ code: "custom", message: `no @model type named "${name}"`, path: ["conflictHandlers", name] });
    }
  });

/** Validated `models` settings. */
export type ModelsSettings = z.output<typeof modelsSettingsSchema>;
