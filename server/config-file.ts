/**
 * The JSON config file (`SYNCPOOL_CONFIG` or `--config`): the identity pools and the user pools. Read once, synchronously,
 * before the server starts; a pool's JSON schema may live in a file of its own.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { poolSettingsSchema } from "./identity/pool-settings.js";
import { ConfigError, parseOrThrow } from "./config-error.js";
import { userPoolsFileSchema } from "./user-pool/user-pool-config.js";

/** The JSON config file. */
const fileSchema = z
  .object({
    pools: z
      .array(poolSettingsSchema, { error: "expected an array of pools" })
      .default([])
      .superRefine((pools, ctx) => {
        const seen = new Set<string>();
        pools.forEach((pool, index) => {
          if (seen.has(pool.id)) ctx.addIssue({ code: "custom", message: `duplicate pool id "${pool.id}"`, path: [index, "id"] });
          seen.add(pool.id);
        });
      }),
    // Built-in user pools (`server/user-pool/user-pool-config.ts`); absent: the one default pool.
    userPools: userPoolsFileSchema,
  })
  .strict();

/** Reads and validates the config file at `file` (an absolute path). @throws ConfigError */
export function readConfigFile(file: string): z.output<typeof fileSchema> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`config file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseOrThrow(fileSchema, inlineSchemaFiles(json, file), `config file ${file}: `);
}

/**
 * A pool's `jsonSchemas[].schema` may name a JSON file (relative to the config file) instead of
 * holding the schema: read it here, once, so pool settings always hold the schema itself.
 */
function inlineSchemaFiles(json: unknown, file: string): unknown {
  const pools = (json as { pools?: unknown } | null)?.pools;
  if (!Array.isArray(pools)) return json;
  pools.forEach((pool: unknown, poolIndex) => {
    inlineModelsSchema(pool, poolIndex, file);
    const entries = (pool as { jsonSchemas?: unknown } | null)?.jsonSchemas;
    if (!Array.isArray(entries)) return;
    entries.forEach((entry: unknown, entryIndex) => {
      const schema = (entry as { schema?: unknown } | null)?.schema;
      if (typeof schema !== "string") return;
      const path = resolve(dirname(file), schema);
      try {
        (entry as { schema: unknown }).schema = JSON.parse(readFileSync(path, "utf8"));
      } catch (error) {
        throw new ConfigError(`config file ${file}: pools[${poolIndex}].jsonSchemas[${entryIndex}].schema: cannot read ${path} as JSON (${(error as Error).message})`);
      }
    });
  });
  return json;
}


/** A pool's `models.schema` names the app's GraphQL schema file (relative to the config file): read it in. */
function inlineModelsSchema(pool: unknown, poolIndex: number, file: string): void {
  const models = (pool as { models?: { schema?: unknown } } | null)?.models;
  if (typeof models?.schema !== "string") return;
  const path = resolve(dirname(file), models.schema);
  try {
    models.schema = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`config file ${file}: pools[${poolIndex}].models.schema: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
