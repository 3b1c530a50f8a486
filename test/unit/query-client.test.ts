/** The client's query over stored records: only live JSON records are seen, values come decoded. */
import { describe, expect, it } from "vitest";
import { formatClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import type { SyncRecord } from "../../core/types.js";
import { queryDataset, type QueryHost } from "../../client/query/dataset-query.js";
import { cacheRecord, type CachedRow, type RecordCache } from "../../client/store/record-cache.js";

const clock = formatClock({ wallMs: 1_700_000_000_000, counter: 0, deviceId: "a" });
const json = (key: string, object: object): SyncRecord =>
  ({ key, kind: "JSON", value: encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, object, clock)), deleted: false }) as SyncRecord;

function hostOf(records: SyncRecord[], read = async () => {}): QueryHost {
  const rows = new Map<string, CachedRow>();
  for (const record of records) cacheRecord(rows, record.key, record);
  return {
    recordCache: () => ({ rows: async () => (await read(), rows) }) as unknown as RecordCache,
    followCache: () => {
      throw new Error("not used");
    },
  };
}

describe("client queries", () => {
  it("sees only live JSON records, decoded, and never STRING or YDOC ones", async () => {
    const records = [
      json("t1", { title: "milk", done: false }),
      json("t2", { title: "bread", done: true }),
      { key: "s", kind: "STRING", value: "{\"done\":false}", deleted: false } as SyncRecord,
      { ...json("t3", { title: "gone", done: false }), deleted: true },
    ];
    const result = await queryDataset(hostOf(records), "todos", { where: { field: "done", eq: false } });
    expect(result).toEqual([{ key: "t1", value: { title: "milk", done: false } }]);
  });

  it("rejects a bad query before reading anything", async () => {
    const host = hostOf([], () => Promise.reject(new Error("read")));
    await expect(queryDataset(host, "todos", { limit: 1.5 })).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { reason: "bad-query" } });
  });
});
