/**
 * A pool's `models` in the config file: the schema file named relative to the config file is
 * read in, and a schema that cannot be served stops the config with the reason.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { configDir, configError, configFile } from "../helpers/config.js";

describe("models in the config file", () => {
  it("reads the schema file named relative to the config file, with the default and per-model handlers", () => {
    writeFileSync(join(configDir, "schema.graphql"), "type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! }\n");
    const file = configFile({ pools: [{ id: "app", models: { schema: "./schema.graphql", conflictHandlers: { Todo: "OPTIMISTIC_CONCURRENCY" } } }] });
    const [pool] = loadConfig({ SYNCPOOL_CONFIG: file }).pools;
    expect(pool!.models).toEqual({
      schema: expect.stringContaining("type Todo @model"),
      conflictHandler: "AUTOMERGE",
      conflictHandlers: { Todo: "OPTIMISTIC_CONCURRENCY" },
      tombstoneTtlDays: 30,
    });
  });

  it("refuses a tombstone TTL that is not a whole number of days from 1 to 3650, naming the field", () => {
    writeFileSync(join(configDir, "schema.graphql"), "type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! }\n");
    const zero = configFile({ pools: [{ id: "app", models: { schema: "./schema.graphql", tombstoneTtlDays: 0 } }] });
    expect(configError(() => loadConfig({ SYNCPOOL_CONFIG: zero }))).toContain("pools[0].models.tombstoneTtlDays: expected at least 1 day");
    const half = configFile({ pools: [{ id: "app", models: { schema: "./schema.graphql", tombstoneTtlDays: 1.5 } }] });
    expect(configError(() => loadConfig({ SYNCPOOL_CONFIG: half }))).toContain("pools[0].models.tombstoneTtlDays: expected a whole number of days");
  });

  it("stops on a schema file that is missing or declares no model, naming the field", () => {
    const missing = configFile({ pools: [{ id: "app", models: { schema: "./nowhere.graphql" } }] });
    expect(configError(() => loadConfig({ SYNCPOOL_CONFIG: missing }))).toContain("pools[0].models.schema: cannot read");
    writeFileSync(join(configDir, "empty.graphql"), "type Query { x: Int }\n");
    const empty = configFile({ pools: [{ id: "app", models: { schema: "./empty.graphql" } }] });
    expect(configError(() => loadConfig({ SYNCPOOL_CONFIG: empty }))).toContain("models schema: the schema declares no @model type");
  });
});
