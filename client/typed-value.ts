/**
 * Typed datasets: values checked on write by any Standard Schema v1 validator (zod, valibot,
 * arktype), and the TypeScript type of values inferred from it.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { SyncpoolError } from "../core/errors.js";
import { isPlainObject } from "../core/json-value.js";

/** Options of `client.dataset(name, options)`. */
export interface DatasetOptions<V> {
  /** Validates every value written; its output type is the dataset's value type. */
  schema?: StandardSchemaV1<unknown, V>;
}

/** What `update` accepts: known fields with their types, other (dotted) paths as any value. */
export type UpdateOf<V> = V extends object ? { [K in keyof V]?: V[K] | undefined } & Record<string, unknown> : Record<string, unknown>;

/**
 * Checks `value` with `schema`; returns what the schema outputs.
 * @throws SyncpoolError BAD_USER_INPUT (`reason: "schema"`, `issues`: the validator's messages and paths)
 */
export async function validateValue<V>(schema: StandardSchemaV1<unknown, V>, value: unknown): Promise<V> {
  const result = await schema["~standard"].validate(value);
  if (result.issues === undefined) return result.value;
  const issues = result.issues.map((issue) => ({
    message: issue.message,
    path: (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment)).join("."),
  }));
  const first = issues[0];
  const where = first && first.path !== "" ? `value.${first.path}` : "value";
  throw new SyncpoolError("BAD_USER_INPUT", `${where}: ${first?.message ?? "refused by the dataset's schema"}`, { field: "value", reason: "schema", issues });
}

/** `current` with the dotted paths of `partial` set (undefined unsets): the value an update leads to. */
export function withUpdate(current: unknown, partial: Record<string, unknown>): Record<string, unknown> {
  const next: Record<string, unknown> = structuredClone(isPlainObject(current) ? current : {});
  for (const [path, value] of Object.entries(partial)) {
    const names = path.split(".");
    let node = next;
    for (const name of names.slice(0, -1)) {
      if (!isPlainObject(node[name])) node[name] = {};
      node = node[name] as Record<string, unknown>;
    }
    const last = names.at(-1) as string;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return next;
}
