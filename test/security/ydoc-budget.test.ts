/**
 * The structural budget that refuses crafted Yjs updates before Yjs integrates them
 * (`core/ydoc-budget.ts`): counts are exact, each cap (absolute and per KiB) refuses with
 * BAD_USER_INPUT / YDOC_TOO_COMPLEX, the header check refuses a many-client bomb from its first
 * bytes, and honest documents pass the default budget.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { checkYdocBudget, checkYdocHeader, DEFAULT_YDOC_BUDGET, measureYdocUpdate, type YdocBudget } from "../../core/ydoc-budget.js";
import { craftYdocBomb } from "../helpers/ydoc-bomb.js";

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const unlimited: YdocBudget = { maxClients: 1e9, maxStructs: 1e9, maxDeleteRanges: 1e9, clientsPerKiB: 1e9, structsPerKiB: 1e9, deleteRangesPerKiB: 1e9 };

/** A document typed and edited by `sessions` devices, each a fresh Yjs client, as real apps make them. */
function manySessionDocument(sessions: number): Uint8Array {
  const main = new Y.Doc();
  main.getText("body").insert(0, "A shared note. ");
  for (let session = 0; session < sessions; session++) {
    const device = new Y.Doc();
    Y.applyUpdate(device, Y.encodeStateAsUpdate(main));
    const text = device.getText("body");
    text.insert((session * 7) % (text.length + 1), "ok ");
    if (session % 3 === 0) text.delete(0, 1);
    Y.applyUpdate(main, Y.encodeStateAsUpdate(device));
  }
  return Y.encodeStateAsUpdate(main);
}

describe("the YDOC update budget", () => {
  it("counts clients, structs and delete ranges without integrating the update", () => {
    const doc = new Y.Doc();
    const text = doc.getText("t");
    text.insert(0, "abcdefgh");
    text.delete(1, 1);
    text.delete(4, 1);
    expect(measureYdocUpdate(Y.encodeStateAsUpdate(doc), "v")).toEqual({ clients: 1, structs: 5, deleteRanges: 2 });
    expect(measureYdocUpdate(craftYdocBomb(300), "v")).toEqual({ clients: 301, structs: 301, deleteRanges: 0 });
  });

  it("refuses a many-client bomb as YDOC_TOO_COMPLEX by its clients per KiB", () => {
    const bomb = craftYdocBomb(2_000);
    expect(() => checkYdocBudget(bomb, DEFAULT_YDOC_BUDGET, "patches[0].value")).toThrowError(
      expect.objectContaining({ code: "BAD_USER_INPUT", details: expect.objectContaining({ reason: "YDOC_TOO_COMPLEX", limit: "clients", actual: 2_001, field: "patches[0].value" }) }),
    );
  });

  it("refuses the same bomb from the first bytes of its base64 text, before decoding the rest", () => {
    const text = toBase64(craftYdocBomb(2_000));
    // The tail is garbage: only the header can have been read.
    const headerOnly = text.slice(0, 8) + "A".repeat(text.length - 8);
    expect(() => checkYdocHeader(headerOnly, DEFAULT_YDOC_BUDGET, "v")).toThrowError(expect.objectContaining({ details: expect.objectContaining({ reason: "YDOC_TOO_COMPLEX", limit: "clients", actual: 2_001 }) }));
    expect(() => checkYdocHeader(toBase64(manySessionDocument(50)), DEFAULT_YDOC_BUDGET, "v")).not.toThrow();
  });

  it.each([
    ["clients", { maxClients: 100 }],
    ["structs", { maxStructs: 100 }],
    ["structs", { structsPerKiB: 10 }],
    ["clients", { clientsPerKiB: 10 }],
  ] as const)("refuses an update over its %s cap (%j)", (limit, caps) => {
    expect(() => checkYdocBudget(craftYdocBomb(200), { ...unlimited, ...caps }, "v")).toThrowError(expect.objectContaining({ details: expect.objectContaining({ reason: "YDOC_TOO_COMPLEX", limit }) }));
  });

  it("refuses an update over its delete-range caps, absolute and per KiB", () => {
    const doc = new Y.Doc();
    const text = doc.getText("t");
    text.insert(0, "x".repeat(400));
    for (let index = 0; index < 200; index++) text.delete(index, 1); // every other character
    const update = Y.encodeStateAsUpdate(doc);
    expect(measureYdocUpdate(update, "v").deleteRanges).toBe(200);
    for (const caps of [{ maxDeleteRanges: 199 }, { deleteRangesPerKiB: 20 }]) {
      expect(() => checkYdocBudget(update, { ...unlimited, ...caps }, "v")).toThrowError(expect.objectContaining({ details: expect.objectContaining({ limit: "deleteRanges" }) }));
    }
    expect(() => checkYdocBudget(update, { ...unlimited, maxDeleteRanges: 200 }, "v")).not.toThrow();
  });

  // Builds 400 sessions and 3,000 edits with Yjs itself: about a second of CPU, several on a busy machine.
  it("accepts honest documents: hundreds of editing sessions, and one long edit history", { timeout: 20_000 }, () => {
    // Each session a client of its own: the densest honest clients-per-KiB there is.
    expect(() => checkYdocBudget(manySessionDocument(400), DEFAULT_YDOC_BUDGET, "v")).not.toThrow();
    const doc = new Y.Doc();
    const text = doc.getText("t");
    for (let edit = 0; edit < 3_000; edit++) {
      if (edit % 4 === 3) text.delete((edit * 13) % text.length, 1);
      else text.insert((edit * 31) % (text.length + 1), "a");
    }
    expect(() => checkYdocBudget(Y.encodeStateAsUpdate(doc), DEFAULT_YDOC_BUDGET, "v")).not.toThrow();
  });

  it("refuses bytes that are not a Yjs update as BAD_USER_INPUT without a complexity reason", () => {
    expect(() => checkYdocBudget(Uint8Array.from([200, 200, 200]), DEFAULT_YDOC_BUDGET, "v")).toThrowError(
      expect.objectContaining({ code: "BAD_USER_INPUT", message: expect.stringContaining("not a valid Yjs update") }),
    );
  });
});
