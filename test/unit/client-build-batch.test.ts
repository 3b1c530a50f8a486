import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../../core/base64.js";
import { decodeJsonState, encodeJsonState } from "../../core/json-codec.js";
import { applyJsonUpdate, materializeJson } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { buildBatch } from "../../client/store/build-batch.js";
import type { OutboxRow } from "../../client/store/rows.js";

let seq = 0;
function row(key: string, op: "REPLACE" | "REMOVE", value: string | null, kind: "STRING" | "YDOC" | "JSON" = "STRING"): OutboxRow {
  seq += 1;
  return {
    seq,
    dataset: "d",
    key,
    op,
    value,
    kind,
    clock: `${String(1000 + seq).padStart(15, "0")}-000000-dev`,
    baseSyncCount: 0,
    deviceLastModifiedAt: 1000 + seq,
  };
}

function ydocUpdates(): string[] {
  const doc = new Y.Doc();
  const updates: string[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(encodeBase64(update)));
  doc.getText("t").insert(0, "hello");
  doc.getText("t").insert(5, " world");
  return updates;
}

describe("buildBatch", () => {
  it("coalesces STRING writes and removes of one key into the last one", () => {
    const rows = [row("a", "REPLACE", "1"), row("a", "REMOVE", null), row("a", "REPLACE", "3"), row("b", "REPLACE", "x")];
    const batch = buildBatch(rows, () => 7);
    expect(batch?.seqs).toEqual(rows.map((r) => r.seq));
    expect(batch?.patches).toEqual([
      expect.objectContaining({ key: "a", op: "REPLACE", value: "3", clock: rows[2]?.clock, syncCount: 7 }),
      expect.objectContaining({ key: "b", op: "REPLACE", value: "x" }),
    ]);
  });

  it("merges a run of YDOC updates into one update holding all of them", () => {
    const [u1, u2] = ydocUpdates() as [string, string];
    const rows = [row("doc", "REPLACE", u1, "YDOC"), row("doc", "REPLACE", u2, "YDOC")];
    const batch = buildBatch(rows, () => 0);
    expect(batch?.patches).toHaveLength(1);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, decodeBase64(batch?.patches[0]?.value as string));
    expect(doc.getText("t").toString()).toBe("hello world");
    expect(batch?.patches[0]?.clock).toBe(rows[1]?.clock);
  });

  it("keeps a YDOC update that follows a remove for the next batch", () => {
    const [u1, u2] = ydocUpdates() as [string, string];
    const rows = [row("doc", "REPLACE", u1, "YDOC"), row("doc", "REMOVE", null, "YDOC"), row("doc", "REPLACE", u2, "YDOC")];
    const batch = buildBatch(rows, () => 0);
    expect(batch?.seqs).toEqual([rows[0]?.seq, rows[1]?.seq]);
    expect(batch?.patches).toEqual([expect.objectContaining({ op: "REMOVE", key: "doc" })]);
    const next = buildBatch(rows.slice(2), () => 0);
    expect(next?.patches).toEqual([expect.objectContaining({ op: "REPLACE", value: u2, kind: "YDOC" })]);
  });

  it("joins a run of JSON writes of one key into one state holding every field written", () => {
    const title = row("t", "REPLACE", null, "JSON");
    const done = row("t", "REPLACE", null, "JSON");
    title.value = encodeJsonState(applyJsonUpdate(EMPTY_JSON_STATE, { title: "Oat milk" }, title.clock));
    done.value = encodeJsonState(applyJsonUpdate(EMPTY_JSON_STATE, { done: true }, done.clock));
    const batch = buildBatch([title, done], () => 0);
    expect(batch?.seqs).toEqual([title.seq, done.seq]);
    const [patch] = batch?.patches ?? [];
    expect(patch).toMatchObject({ key: "t", op: "REPLACE", kind: "JSON", clock: done.clock });
    expect(materializeJson(decodeJsonState(patch?.value as string))).toEqual({ title: "Oat milk", done: true });
  });

  it("keeps a JSON write that follows a remove for the next batch", () => {
    const removal = row("t", "REMOVE", null, "JSON");
    const write = row("t", "REPLACE", null, "JSON");
    write.value = encodeJsonState(applyJsonUpdate(EMPTY_JSON_STATE, { title: "again" }, write.clock));
    const batch = buildBatch([removal, write], () => 0);
    expect(batch?.seqs).toEqual([removal.seq]);
    expect(batch?.patches).toEqual([expect.objectContaining({ key: "t", op: "REMOVE" })]);
  });

  it("never puts more than maxPatches keys in a batch and never repeats a key", () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(`k${i % 12}`, "REPLACE", String(i)));
    const batch = buildBatch(rows, () => 0, { maxPatches: 5 });
    const keys = batch?.patches.map((p) => p.key) ?? [];
    expect(keys).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    expect(new Set(keys).size).toBe(keys.length);
    // Every row of an included key is covered, and no row of another key.
    expect(batch?.seqs).toEqual(rows.filter((r) => keys.includes(r.key)).map((r) => r.seq));
  });

  it("caps at 1024 patches by default", () => {
    const rows = Array.from({ length: 1500 }, (_, i) => row(`k${i}`, "REPLACE", "v"));
    expect(buildBatch(rows, () => 0)?.patches).toHaveLength(1024);
  });

  it("leaves out skipped keys and returns null when nothing is left", () => {
    const rows = [row("a", "REPLACE", "1"), row("b", "REPLACE", "2")];
    expect(buildBatch(rows, () => 0, { skipKeys: new Set(["a"]) })?.patches.map((p) => p.key)).toEqual(["b"]);
    expect(buildBatch(rows, () => 0, { skipKeys: new Set(["a", "b"]) })).toBeNull();
    expect(buildBatch([], () => 0)).toBeNull();
  });
});
