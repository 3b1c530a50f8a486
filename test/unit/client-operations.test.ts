/**
 * The client's operations (`schema/client-operations.ts`): each hash is the sha256 of its text
 * (the generated file is current), and each text is valid against the schema clients sync with,
 * so a server never refuses one of them by hash for a reason the text would not have.
 */
import { readFileSync } from "node:fs";
import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { CLIENT_OPERATION_TEXTS, CLIENT_OPERATIONS } from "../../schema/client-operations.js";
import { HASHES_FILE, operationHashesModule } from "../../schema/generate-operation-hashes.js";
import { pushTypeDefs } from "../../schema/push-type-defs.js";
import { typeDefs } from "../../schema/type-defs.js";


describe("client operations", () => {
  it("carry the sha256 of their texts (run `npx tsx schema/generate-operation-hashes.ts` after changing one)", () => {
    expect(readFileSync(HASHES_FILE, "utf8")).toBe(operationHashesModule(CLIENT_OPERATION_TEXTS));
    const hashes = Object.values(CLIENT_OPERATIONS).map((operation) => operation.sha256Hash);
    expect(new Set(hashes).size).toBe(hashes.length);
    for (const hash of hashes) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("are valid against the sync schema", () => {
    const schema = buildSchema([typeDefs, pushTypeDefs].join("\n"));
    for (const operation of Object.values(CLIENT_OPERATIONS)) {
      expect({ name: operation.name, errors: validate(schema, parse(operation.text)).map((error) => error.message) }).toEqual({ name: operation.name, errors: [] });
    }
  });
});
