/**
 * Where a hook the server calls with an event runs: an in-process module or a signed HTTPS
 * endpoint with a time limit. A pool's `syncTrigger` and a model's LAMBDA conflict handler
 * (`models.lambdaConflictHandler`) are both written this way, and both called by `sync-trigger.ts`.
 */
import { z } from "zod";

/** Where the hook runs: an in-process module, or a signed webhook with a time limit. */
export type SyncTriggerSettings = { module: string } | { url: string; secret: string; timeoutMs: number };

/**
 * Parsed as one strict object and then checked, so a mistake is reported against the field at
 * fault rather than as "no union member matched".
 */
export const syncTriggerSchema = z
  .object({
    module: z.string({ error: "expected a string" }).min(1, { error: "expected a non-empty string" }).max(1024, { error: "expected at most 1024 characters" }).optional(),
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
    secret: z.string({ error: "expected a string" }).min(16, { error: "expected a secret of at least 16 characters" }).optional(),
    timeoutMs: z.number({ error: "expected an integer from 1 to 60000" }).int({ error: "expected an integer from 1 to 60000" }).min(1, { error: "expected an integer from 1 to 60000" }).max(60_000, { error: "expected an integer from 1 to 60000" }).optional(),
  })
  .strict()
  .superRefine((trigger, ctx) => {
    if (trigger.module === undefined && trigger.url === undefined) {
      ctx.addIssue({ code: "custom", message: 'expected either "module" or "url"', path: [] });
    }
    if (trigger.module !== undefined) {
      for (const field of ["url", "secret", "timeoutMs"] as const) {
        if (trigger[field] !== undefined) {
          ctx.addIssue({ code: "custom", message: 'not allowed with "module"', path: [field] });
        }
      }
    } else if (trigger.url !== undefined && trigger.secret === undefined) {
      ctx.addIssue({ code: "custom", message: 'required with "url"', path: ["secret"] });
    }
  })
  .transform((trigger): SyncTriggerSettings =>
    trigger.module !== undefined
      ? { module: trigger.module }
      : { url: trigger.url!, secret: trigger.secret!, timeoutMs: trigger.timeoutMs ?? 5000 },
  );
