/**
 * A `datasetChanged` event projected onto its selection (`server/push/project-event.ts`) gives
 * exactly what graphql-js's `execute` gives for the same document and event, and where it cannot
 * (directives, fragments, a null where the type forbids one, a value its scalar refuses) it
 * declines, so `execute` runs and its errors stay graphql-js's own.
 */
import { execute, parse, type GraphQLSchema } from "graphql";
import { createSchema } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { pushTypeDefs } from "../../schema/push-type-defs.js";
import { typeDefs } from "../../schema/type-defs.js";
import { TimestampScalar } from "../../server/graphql/timestamp-scalar.js";
import { planEventProjection } from "../../server/push/project-event.js";

const schema: GraphQLSchema = createSchema({
  typeDefs: [typeDefs, pushTypeDefs],
  resolvers: {
    Timestamp: TimestampScalar,
    Subscription: { datasetChanged: { subscribe: () => undefined, resolve: (event: unknown) => event } },
  },
});

const record = (key: string, value: string | null) => ({
  key,
  value,
  kind: "STRING",
  syncCount: 7,
  clock: "000001733500000000-000000-device-a",
  lastModifiedBy: "device-a",
  lastModifiedAt: 1_733_500_000_000,
  deviceLastModifiedAt: 1_733_499_999_000,
  deleted: value === null,
});
const event = {
  dataset: "notes",
  syncCount: 7,
  deviceId: "device-a",
  mutationId: "m-1",
  deleted: false,
  records: [record("a", "one"), record("b", null)],
  behind: false,
  shared: false,
  sizeBytes: 900,
};

/** What `execute` answers for the event, through the same JSON the socket sends. */
const executed = (query: string, rootValue: unknown) => JSON.stringify(execute({ schema, document: parse(query), rootValue }));
const projected = (query: string, rootValue: unknown) => {
  const projection = planEventProjection(schema, parse(query), undefined);
  if (!projection) return "no plan";
  const result = projection(rootValue);
  return result === undefined ? "declined" : JSON.stringify(result);
};

describe("projecting a datasetChanged event onto its selection", () => {
  it.each([
    ["every field, records included", `subscription { datasetChanged(dataset: "notes") { dataset syncCount deviceId mutationId deleted behind shared records { key value kind syncCount clock lastModifiedBy lastModifiedAt deviceLastModifiedAt deleted } } }`],
    ["aliases, __typename and a field order of its own", `subscription Named { changed: datasetChanged { __typename shared count: syncCount records { __typename k: key kind } deviceId } }`],
    ["a few fields", `subscription { datasetChanged { syncCount mutationId } }`],
  ])("answers exactly as execute does: %s", (_name, query) => {
    expect(projected(query, event)).toBe(executed(query, event));
  });

  it("answers null records, a behind event, as execute does", () => {
    const query = `subscription { datasetChanged { syncCount behind deviceId records { key } } }`;
    const behind = { ...event, records: null, behind: true, deviceId: null, mutationId: null };
    expect(projected(query, behind)).toBe(executed(query, behind));
  });

  it.each([
    ["a directive", `subscription ($full: Boolean!) { datasetChanged { syncCount records @include(if: $full) { key } } }`],
    ["a fragment", `subscription { datasetChanged { ...F } } fragment F on DatasetChange { syncCount }`],
    ["an inline fragment", `subscription { datasetChanged { ... on DatasetChange { syncCount } } }`],
    ["one key selected twice", `subscription { datasetChanged { records { key } records { value } } }`],
    ["a query", `query { __typename }`],
  ])("makes no plan for %s, leaving the event to execute", (_name, query) => {
    expect(projected(query, event)).toBe("no plan");
  });

  it("declines an event execute would answer with an error, and execute's error is the one sent", () => {
    const query = `subscription { datasetChanged { syncCount records { key lastModifiedAt } } }`;
    const broken = { ...event, records: [{ ...record("a", "one"), lastModifiedAt: 1.5 }] };
    const missing = { ...event, syncCount: null };
    expect(projected(query, broken)).toBe("declined");
    expect(projected(query, missing)).toBe("declined");
    expect(executed(query, broken)).toContain("Timestamp cannot serialize 1.5");
  });
});
