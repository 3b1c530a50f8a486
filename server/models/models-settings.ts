/**
 * A pool's `models` settings: the app's Amplify GraphQL schema (its SDL; a config file names the
 * file and `config-file.ts` reads it in) and the conflict handler per model, as AppSync
 * configures them. The schema is parsed here, so a pool whose models cannot be served is refused
 * when the config is read, not at the first request.
 */
import { z } from "zod";
import { isSyncpoolError } from "../../core/errors.js";
import { parseAppModels } from "./model-schema.js";

/** The conflict handlers AppSync offers that are served (LAMBDA is not yet). */
export const CONFLICT_HANDLERS = ["AUTOMERGE", "OPTIMISTIC_CONCURRENCY"] as const;
export type ConflictHandler = (typeof CONFLICT_HANDLERS)[number];

const handler = z.enum(CONFLICT_HANDLERS, { error: "expected AUTOMERGE or OPTIMISTIC_CONCURRENCY" });

/** `models` in a pool's settings. */
export const modelsSettingsSchema = z
  .object({
    schema: z.string({ error: "expected the schema's SDL" }).min(1).max(1_000_000, { error: "expected at most 1 MB of SDL" }),
    conflictHandler: handler.default("AUTOMERGE"),
    conflictHandlers: z.record(z.string(), handler, { error: "expected an object of model names to handlers" }).default({}),
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
    for (const name of Object.keys(settings.conflictHandlers)) {
      if (!names.includes(name)) ctx.addIssue({ code: "custom", message: `no @model type named "${name}"`, path: ["conflictHandlers", name] });
    }
  });

/** Validated `models` settings. */
export type ModelsSettings = z.output<typeof modelsSettingsSchema>;
