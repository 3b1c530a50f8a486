/**
 * Shared datasets in a pool's settings: datasets owned by the pool or by a group instead of one
 * identity, read and written by whoever the entry's principals name. Parsed as part of the pool
 * (`pool-settings.ts`); who may do what is decided by `shared-access.ts`.
 *
 * An entry:
 * `{ "name": "family-*", "owner": "group:${tag:family}", "read": ["group:${tag:family}"],
 *    "write": ["group:${tag:family}"], "maxRecords": 1024, "maxBytes": 1048576 }`
 * - `name`: a dataset name, or a pattern with `*` (any run of characters).
 * - `owner`: `pool` (one dataset of that name for the whole pool) or `group:<name>` (one per
 *   group; `<name>` may be a `${tag:..}` / `${claim:..}` variable, so each family has its own).
 * - `read` / `write`: principals: `any` (every signed-in identity), `authenticated` (not a guest),
 *   `guest`, `group:<name>` (a member, see the admin API) and `role:<name>` (the token's role);
 *   names may use the same variables. Writers do not read unless `read` names them too.
 * - `maxRecords` / `maxBytes`: the dataset's limits, 1,024 records and 1 MB unless set, at most
 *   100,000 records and 64 MB.
 */
import { z } from "zod";
import { DEFAULT_LIMITS } from "../../core/limits.js";

/** The most a pool may allow one shared dataset. */
export const SHARED_DATASET_MAX = Object.freeze({ records: 100_000, bytes: 67_108_864 });

/** A name of a group or role, or a variable standing for one. */
const NAME_OR_VARIABLE = String.raw`(?:[A-Za-z0-9_.:-]|\$\{(?:claim|tag):[A-Za-z0-9_.:/-]{1,128}\})+`;

/** A principal: `any`, `authenticated`, `guest`, `group:<name>` or `role:<name>`. */
export const PRINCIPAL_PATTERN = new RegExp(`^(?:any|authenticated|guest|(?:group|role):${NAME_OR_VARIABLE})$`);

/** An owner: `pool` or `group:<name>`. */
export const OWNER_PATTERN = new RegExp(`^(?:pool|group:${NAME_OR_VARIABLE})$`);

const principals = z
  .array(
    z.string({ error: "expected a string" }).max(256, { error: "expected at most 256 characters" }).regex(PRINCIPAL_PATTERN, {
      error: "expected any, authenticated, guest, group:<name> or role:<name>",
    }),
    { error: "expected an array of principals" },
  )
  .max(50, { error: "expected at most 50 principals" });

const bounded = (max: number, fallback: number) =>
  z
    .number({ error: `expected an integer from 1 to ${max}` })
    .int({ error: `expected an integer from 1 to ${max}` })
    .min(1, { error: `expected an integer from 1 to ${max}` })
    .max(max, { error: `expected an integer from 1 to ${max}` })
    .default(fallback);

const sharedDatasetSchema = z
  .object({
    name: z
      .string({ error: "expected a string" })
      .regex(/^[A-Za-z0-9_.:*-]{1,128}$/, { error: "expected 1-128 characters of A-Z a-z 0-9 _ . : - and *" }),
    owner: z
      .string({ error: "expected a string" })
      .max(256, { error: "expected at most 256 characters" })
      .regex(OWNER_PATTERN, { error: "expected pool or group:<name>" })
      .default("pool"),
    read: principals.default([]),
    write: principals.default([]),
    maxRecords: bounded(SHARED_DATASET_MAX.records, DEFAULT_LIMITS.maxRecords),
    maxBytes: bounded(SHARED_DATASET_MAX.bytes, DEFAULT_LIMITS.maxDatasetBytes),
  })
  .strict();

/** One shared-dataset entry after defaults. */
export type SharedDatasetSettings = z.output<typeof sharedDatasetSchema>;

/** The pool's `sharedDatasets` field: at most 100 entries, each name written once. */
export const sharedDatasetsSchema = z
  .array(sharedDatasetSchema, { error: "expected an array" })
  .max(100, { error: "expected at most 100 shared datasets" })
  .default([])
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      if (seen.has(entry.name)) ctx.addIssue({ code: "custom", message: `duplicate shared dataset "${entry.name}"`, path: [index, "name"] });
      seen.add(entry.name);
    });
  });
