/**
 * The `triggers` of a user pool in the config file: Cognito's LambdaConfig, where each trigger is
 * a module path (relative to the config file) or a signed HTTPS endpoint `{ url, secret }`, as sync
 * triggers are. Only zod here; `user-pool-config.ts` puts the schema in a pool's.
 *
 *   "triggers": {
 *     "preSignUp": "./triggers/pre-sign-up.mjs",
 *     "preTokenGeneration": { "url": "https://hooks.example.com/cognito", "secret": "...", "version": "V2_0" }
 *   }
 */
import { z } from "zod";

/** The triggers a pool may name, by their key in the config (Cognito's LambdaConfig keys, camel-cased). */
export const TRIGGER_NAMES = [
  "preSignUp",
  "postConfirmation",
  "preAuthentication",
  "postAuthentication",
  "preTokenGeneration",
  "customMessage",
  "userMigration",
  "defineAuthChallenge",
  "createAuthChallenge",
  "verifyAuthChallengeResponse",
] as const;

/** A trigger's key. */
export type TriggerName = (typeof TRIGGER_NAMES)[number];

/** Cognito's default and only time limit for a trigger's answer. */
export const DEFAULT_TRIGGER_TIMEOUT_MS = 5000;

const triggerObjectSchema = z
  .object({
    module: z.string().min(1).max(1024).optional(),
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
    secret: z.string().min(16, { error: "expected a secret of at least 16 characters" }).optional(),
    /** Per attempt; an endpoint is tried up to three times when it fails or is late. */
    timeoutMs: z.number().int().min(1).max(30_000).optional(),
    /** Pre token generation's event version (Cognito's LambdaVersion): V1_0 (ID token only), V2_0, V3_0. */
    version: z.enum(["V1_0", "V2_0", "V3_0"]).optional(),
  })
  .strict()
  .superRefine((trigger, ctx) => {
    if ((trigger.module === undefined) === (trigger.url === undefined)) ctx.addIssue({ code: "custom", message: 'expected either "module" or "url"', path: [] });
    if (trigger.url !== undefined && trigger.secret === undefined) ctx.addIssue({ code: "custom", message: 'required with "url"', path: ["secret"] });
    if (trigger.module !== undefined && trigger.secret !== undefined) ctx.addIssue({ code: "custom", message: 'not allowed with "module"', path: ["secret"] });
  });

/** Where one trigger runs, after defaults. */
export type TriggerSettings =
  | { module: string; timeoutMs: number; version: "V1_0" | "V2_0" | "V3_0" }
  | { url: string; secret: string; timeoutMs: number; version: "V1_0" | "V2_0" | "V3_0" };

const triggerSchema = z.union([z.string().min(1).max(1024), triggerObjectSchema]).transform((trigger): TriggerSettings => {
  const spec = typeof trigger === "string" ? { module: trigger } : trigger;
  const common = { timeoutMs: spec.timeoutMs ?? DEFAULT_TRIGGER_TIMEOUT_MS, version: spec.version ?? "V1_0" } as const;
  return spec.module !== undefined ? { module: spec.module, ...common } : { url: spec.url!, secret: spec.secret!, ...common };
});

/** A pool's `triggers`. */
export const triggersSchema = z
  .object(Object.fromEntries(TRIGGER_NAMES.map((name) => [name, triggerSchema.optional()])) as Record<TriggerName, z.ZodOptional<typeof triggerSchema>>)
  .strict()
  .superRefine((triggers, ctx) => {
    const custom = (["defineAuthChallenge", "createAuthChallenge", "verifyAuthChallengeResponse"] as const).filter((name) => triggers[name] !== undefined);
    if (custom.length !== 0 && custom.length !== 3) ctx.addIssue({ code: "custom", message: "custom authentication needs all three of defineAuthChallenge, createAuthChallenge and verifyAuthChallengeResponse", path: [] });
  })
  .default({});

/** A pool's triggers after parsing: each absent one is not called. */
export type TriggersSettings = Partial<Record<TriggerName, TriggerSettings>>;
