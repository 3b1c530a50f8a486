/**
 * Pool JSON Schemas: a pool may declare, per dataset name pattern, a JSON Schema that every JSON
 * record written to a matching dataset must satisfy (checked on the merged, materialized object).
 * This module holds the setting's shape and its compiled form; the push checks records with it.
 * Schemas are compiled once per pool (`compileJsonSchemas`), never per push.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { z } from "zod";
import { SyncpoolError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json-value.js";

/** Dataset names plus `*` (any run of characters): `todos*`, `*`, `settings`. */
const DATASET_PATTERN = /^[A-Za-z0-9_.:*-]{1,128}$/;

function newAjv(): Ajv {
  // strict: false so schemas written for other validators (unknown keywords, formats) still load.
  return new Ajv({ strict: false, allErrors: false });
}

/** One `jsonSchemas` entry: which datasets, and the schema (a path to a file in a config file; see config.ts). */
export const jsonSchemaEntrySchema = z
  .object({
    datasets: z.string({ error: "expected a string" }).regex(DATASET_PATTERN, { error: "expected a dataset name, * matching any characters" }),
    schema: z.record(z.string(), z.unknown(), { error: "expected a JSON Schema object" }),
  })
  .strict()
  .superRefine((entry, ctx) => {
    const ajv = newAjv();
    if (!ajv.validateSchema(entry.schema)) {
      ctx.addIssue({ code: "custom", message: `not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`, path: ["schema"] });
      return;
    }
    try {
      ajv.compile(entry.schema);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `the schema does not compile: ${(error as Error).message}`, path: ["schema"] });
    }
  });

/** A pool's `jsonSchemas` entry after validation. */
export type JsonSchemaEntry = z.output<typeof jsonSchemaEntrySchema>;

/**
 * Checks one JSON record's materialized object against the pool's schemas for its dataset.
 * @throws SyncpoolError BAD_USER_INPUT with `reason: "SCHEMA_VIOLATION"`, the record `key`, the
 *   failing `path` (ajv's `instancePath`, e.g. `/title`) and ajv's message.
 */
export type JsonRecordCheck = (dataset: string, key: string, object: JsonObject) => void;

function patternRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.]/g, "\\.").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

/** Compiles a pool's schemas into one check; null when the pool has none. Every matching entry applies. */
export function compileJsonSchemas(entries: readonly JsonSchemaEntry[]): JsonRecordCheck | null {
  if (entries.length === 0) return null;
  const ajv = newAjv();
  const compiled: Array<{ datasets: RegExp; validate: ValidateFunction }> = entries.map((entry) => ({
    datasets: patternRegExp(entry.datasets),
    validate: ajv.compile(entry.schema),
  }));
  return (dataset, key, object) => {
    for (const { datasets, validate } of compiled) {
      if (!datasets.test(dataset) || validate(object)) continue;
      const error = validate.errors?.[0];
      const path = error?.instancePath ?? "";
      const message = error?.message ?? "does not match the schema";
      throw new SyncpoolError("BAD_USER_INPUT", `record "${key}" breaks the dataset's JSON Schema at "${path || "/"}": ${message}`, {
        reason: "SCHEMA_VIOLATION",
        key,
        path,
        message,
      });
    }
  };
}
