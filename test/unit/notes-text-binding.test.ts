import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { diffText, moveIndex } from "../../examples/notes/src/text-binding.js";

/** Applies `change` to a Y.Text holding `before`, and returns what a second replica reads. */
function applyThroughYjs(before: string, after: string): string {
  const doc = new Y.Doc();
  const text = doc.getText("body");
  text.insert(0, before);
  const change = diffText(before, after);
  doc.transact(() => {
    if (change.removed > 0) text.delete(change.index, change.removed);
    if (change.inserted !== "") text.insert(change.index, change.inserted);
  });
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc));
  return replica.getText("body").toString();
}

describe("the notes app's textarea binding", () => {
  it("turns typing into the smallest single replacement", () => {
    expect(diffText("milk", "milk and bread")).toEqual({ index: 4, removed: 0, inserted: " and bread" });
    expect(diffText("milk and bread", "milk bread")).toEqual({ index: 5, removed: 4, inserted: "" });
    expect(diffText("abc", "aXc")).toEqual({ index: 1, removed: 1, inserted: "X" });
    expect(diffText("same", "same")).toEqual({ index: 4, removed: 0, inserted: "" });
  });

  it("never splits an emoji between the kept and the replaced text", () => {
    // 😀 and 😃 share their high surrogate: a naive prefix would keep half of the emoji.
    expect(diffText("a😀", "a😃")).toEqual({ index: 1, removed: 2, inserted: "😃" });
    expect(diffText("😀b", "😃b")).toEqual({ index: 0, removed: 2, inserted: "😃" });
    expect(applyThroughYjs("x😀y", "x😃y")).toBe("x😃y");
  });

  it("reproduces any edit on another replica", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", " ", "😀", "😃", "é") });
    fc.assert(fc.property(text, text, (before, after) => applyThroughYjs(before, after) === after));
  });

  it("moves the caret through remote changes before it and keeps it in place for changes after it", () => {
    expect(moveIndex(5, [{ insert: "Buy: " }])).toBe(10);
    expect(moveIndex(5, [{ retain: 5 }, { insert: "!" }])).toBe(5);
    expect(moveIndex(5, [{ retain: 7 }, { insert: "!" }])).toBe(5);
    expect(moveIndex(5, [{ retain: 1 }, { delete: 2 }])).toBe(3);
    // A deletion around the caret leaves it where the deleted text began.
    expect(moveIndex(5, [{ retain: 3 }, { delete: 4 }])).toBe(3);
    expect(moveIndex(0, [{ insert: "x" }])).toBe(0);
  });
});
