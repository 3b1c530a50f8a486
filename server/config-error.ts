/**
 * How a configuration mistake is reported: a `ConfigError` whose message names the source and the
 * field, one line per problem. `describeZodError` is shared with the admin API so both speak the
 * same way.
 */
import type { z } from "zod";

/** A configuration mistake; the message names the source and the field and is meant for humans. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses `value` with `schema`, or throws a `ConfigError` whose lines start with `label`. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, label: string): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(describeZodError(result.error, label));
}

/**
 * One line per problem, `<label><path>: <message>`, e.g.
 * `config file /x.json: pools[0].limits.maxRecords: expected a positive integer`. Unknown fields
 * are reported at their own path. Shared with the admin API so both speak the same way.
 */
export function describeZodError(error: z.ZodError, label: string): string {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${label}${joinPath([...issue.path, key])}: unknown field`);
      continue;
    }
    const path = joinPath(issue.path);
    // Needs `reportInput: true` in the parse, so a missing field is told apart from a wrong one.
    const message = issue.code === "invalid_type" && issue.input === undefined ? "required" : issue.message;
    lines.push(path === "" ? `${label}${message}` : `${label}${path}: ${message}`);
  }
  return lines.join("\n");
}

/** `["pools", 0, "limits"]` -> `pools[0].limits`. */
export function joinPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === "number") return `${text}[${segment}]`;
    return text === "" ? String(segment) : `${text}.${String(segment)}`;
  }, "");
}
