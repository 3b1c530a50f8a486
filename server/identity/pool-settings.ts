/**
 * What an identity pool is: its validated settings. One zod schema serves the config file
 * (`server/config.ts`), the admin API (`createIdentityPool`) and pools read back from storage, so a
 * pool means the same thing whichever way it arrived. Fields used by later features (sync
 * triggers, the stream) are parsed and kept now so a config file written today keeps working.
 * Roles, role mappings, principal tags and rate limits are in `access-settings.ts`.
 */
import { z } from "zod";
import { webhooksSchema } from "../stream/stream-config.js";
import { syncTriggerSchema } from "../stream/sync-trigger-settings.js";
import { DEFAULT_LIMITS } from "../../core/limits.js";
import { accessSettingsShape, checkAccessSettings } from "./access-settings.js";
import { jsonSchemaEntrySchema } from "./json-schemas.js";
import { modelsSettingsSchema } from "../models/models-settings.js";
import { sharedDatasetsSchema } from "./shared-datasets.js";

/** Pool ids: short, URL- and log-safe; a generated one is `<region>:<uuid>`. */
export const POOL_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,55}$/;

/**
 * Regions prefix identity ids (`<region>:<uuid>`). At most 18 characters so that an identity id,
 * 18 + 1 + 36, stays within the 55 characters the data model promises.
 */
export const REGION_PATTERN = /^[a-z0-9-]{1,18}$/;

/** GraphQL `Int` is 32-bit signed: every limit must fit so `usage` and `identityPools` can answer it. */
const GRAPHQL_INT_MAX = 2_147_483_647;

const positiveInt = (max = GRAPHQL_INT_MAX) =>
  z
    .number({ error: "expected a positive integer" })
    .int({ error: "expected a positive integer" })
    .min(1, { error: "expected a positive integer" })
    .max(max, { error: `expected an integer of at most ${max}` });

const intInRange = (min: number, max: number) =>
  z
    .number({ error: `expected an integer from ${min} to ${max}` })
    .int({ error: `expected an integer from ${min} to ${max}` })
    .min(min, { error: `expected an integer from ${min} to ${max}` })
    .max(max, { error: `expected an integer from ${min} to ${max}` });

const nonEmptyString = (max: number) =>
  z
    .string({ error: "expected a string" })
    .min(1, { error: "expected a non-empty string" })
    .max(max, { error: `expected at most ${max} characters` });

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });

/** Per-pool limits; each missing field takes its default from `DEFAULT_LIMITS`. */
export const limitsSchema = z
  .object({
    maxDatasets: positiveInt().default(DEFAULT_LIMITS.maxDatasets),
    maxRecords: positiveInt().default(DEFAULT_LIMITS.maxRecords),
    maxDatasetBytes: positiveInt().default(DEFAULT_LIMITS.maxDatasetBytes),
    maxClockSkewMs: positiveInt().default(DEFAULT_LIMITS.maxClockSkewMs),
  })
  .strict();

/**
 * True for URLs that stay on this machine. Plain-http issuers and key sets are refused unless they
 * are loopback (a provider running beside the server, or a test's) or the provider opts in with
 * `allowInsecureHttp`: keys fetched over the network without TLS could be swapped by anyone on path.
 */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * An OIDC provider whose ID tokens sign identities in (`server/identity/oidc-verifier.ts`).
 * `issuer` must be written exactly as the tokens' `iss` (some providers end it with a slash);
 * without `jwksUri` the key set is found through the issuer's OpenID configuration.
 */
const providerSchema = z
  .object({
    name: nonEmptyString(128),
    issuer: httpUrl.max(512, { error: "expected at most 512 characters" }),
    audiences: z.array(nonEmptyString(256), { error: "expected an array of strings" }).min(1, {
      error: "expected at least one audience",
    }),
    jwksUri: httpUrl.optional(),
    allowInsecureHttp: z.boolean({ error: "expected true or false" }).default(false),
    /** How long discovery and key-set requests may take before the sign-in is refused. */
    jwksTimeoutMs: intInRange(50, 30_000).default(5000),
  })
  .strict()
  .superRefine((provider, ctx) => {
    for (const field of ["issuer", "jwksUri"] as const) {
      const url = provider[field];
      if (url !== undefined && url.startsWith("http:") && !provider.allowInsecureHttp && !isLoopbackUrl(url)) {
        ctx.addIssue({ code: "custom", message: 'expected an https URL (http only for loopback or with "allowInsecureHttp": true)', path: [field] });
      }
    }
  });

/** A configured OIDC provider, after defaults. */
export type ProviderSettings = z.output<typeof providerSchema>;

/** The app backend's own login provider; `key` is a shared secret and is never logged. */
const developerProviderSchema = z
  .object({
    name: nonEmptyString(128),
    key: z.string({ error: "expected a string" }).min(32, { error: "expected a secret of at least 32 characters" }),
  })
  .strict();

/** Where sync triggers run (`server/stream/sync-trigger-settings.ts`). */
export type { SyncTriggerSettings } from "../stream/sync-trigger-settings.js";

/** The change stream's shape (shards by identity, retention of events). */
const streamSchema = z
  .object({
    shards: intInRange(1, 64).default(4),
    retentionHours: intInRange(1, 8760).default(24),
    // Retention by size as well: the pool's events are trimmed, oldest first, to this many bytes
    // of bodies (split evenly over its shards) whatever their age.
    retentionBytes: intInRange(1_048_576, 1_099_511_627_776).default(1_073_741_824),
    // Consumers that POST each event of this pool (server/stream/webhook-consumer.ts).
    webhooks: webhooksSchema,
  })
  .strict();

/**
 * The access key pair of a pool's developer on the AWS-compatible endpoints (Cognito Sync's
 * developer operations, the Kinesis API). The secret signs requests (SigV4) and is never logged.
 */
const developerCredentialsSchema = z
  .object({
    accessKeyId: z.string({ error: "expected a string" }).regex(/^[A-Z0-9]{16,128}$/, { error: "expected 16-128 characters of A-Z 0-9" }),
    secretAccessKey: z.string({ error: "expected a string" }).min(32, { error: "expected a secret of at least 32 characters" }).max(128),
  })
  .strict();

/** A pool as written by an operator: every field but `id` optional, unknown fields refused. */
export const poolSettingsSchema = z
  .object({
    id: z.string({ error: "expected a string" }).regex(POOL_ID_PATTERN, {
      error: `expected 1-55 characters of A-Z a-z 0-9 _ . : -`,
    }),
    region: z
      .string({ error: "expected a string" })
      .regex(REGION_PATTERN, { error: "expected 1-18 characters of a-z 0-9 -" })
      .default("local"),
    allowGuests: z.boolean({ error: "expected true or false" }).default(true),
    limits: limitsSchema.prefault({}),
    providers: z
      .array(providerSchema, { error: "expected an array" })
      .default([])
      .superRefine((providers, ctx) => {
        const seen = new Set<string>();
        providers.forEach((provider, index) => {
          if (seen.has(provider.name)) {
            ctx.addIssue({ code: "custom", message: `duplicate provider name "${provider.name}"`, path: [index, "name"] });
          }
          seen.add(provider.name);
        });
      }),
    developerProvider: developerProviderSchema.optional(),
    syncTrigger: syncTriggerSchema.optional(),
    stream: streamSchema.prefault({}),
    // The AWS-compatible endpoints (`server/aws/`, docs/aws-compatibility.md).
    awsGuestAccess: z.enum(["open", "secret"], { error: "expected open or secret" }).default("secret"),
    defaultConflictStrategy: z.enum(["CRDT", "OPTIMISTIC"], { error: "expected CRDT or OPTIMISTIC" }).default("CRDT"),
    developerCredentials: developerCredentialsSchema.optional(),
    // JSON Schemas for JSON records by dataset name pattern (server/identity/json-schemas.ts).
    jsonSchemas: z.array(jsonSchemaEntrySchema, { error: "expected an array" }).max(100, { error: "expected at most 100 schemas" }).default([]),
    // Datasets owned by the pool or a group, read and written by its rules (shared-datasets.ts).
    sharedDatasets: sharedDatasetsSchema,
    // The app's models, served AppSync-style at /appsync/<id>/graphql (server/models/).
    models: modelsSettingsSchema.optional(),
    ...accessSettingsShape,
  })
  .strict()
  .superRefine(checkAccessSettings);

/** A pool's settings after validation and defaults: what the rest of the server reads. */
export type PoolSettings = z.output<typeof poolSettingsSchema>;

/** A pool's settings as written (before defaults), e.g. a config file entry. */
export type PoolSettingsInput = z.input<typeof poolSettingsSchema>;

/** The pool that exists when nothing is configured: guests allowed, default limits. */
export const DEFAULT_POOL_ID = "default";
