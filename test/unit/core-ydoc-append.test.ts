// The incremental YDOC merge the server runs per pushed update. Properties run with a fixed seed;
// on failure fast-check prints the seed and the counterexample path. Replay with:
// FC_SEED=<seed> npx vitest run test/unit/core-ydoc-append.test.ts
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as Y from "yjs";
import { decodeBase64, encodeBase64 } from "../../core/base64.js";
import { SyncpoolError } from "../../core/errors.js";
import { canonicalYdocValue } from "../../core/ydoc.js";
import { mergeYdocIncrementally, spliceYdocUpdate } from "../../core/ydoc-append.js";
import { scanYdocUpdate } from "../../core/ydoc-layout.js";
import { craftYdocBomb } from "../helpers/ydoc-bomb.js";
import { ydocUpdatePoolArb } from "../helpers/ydoc-arbitrary.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_261_206;

const valueOf = (doc: Y.Doc) => encodeBase64(Y.encodeStateAsUpdate(doc));

/** Every update a document emits, in order, as YDOC values. */
function recording(clientID: number): { doc: Y.Doc; updates: string[] } {
  const doc = Object.assign(new Y.Doc(), { clientID });
  const updates: string[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(encodeBase64(update)));
  return { doc, updates };
}

describe("incremental YDOC merge", { timeout: 30_000 }, () => {
  it("after many incremental merges and a compaction, the stored document is Yjs's own merge of the same updates", () => {
    fc.assert(
      // Low compaction thresholds, so that compactions also happen between the merges.
      fc.property(ydocUpdatePoolArb(40), fc.array(fc.nat(), { maxLength: 80 }), fc.nat(8), (pool, order, minSlack) => {
        // Arrival in a random order, with repeats: what devices pushing and re-pushing produce.
        const arrivals = [...pool, ...order.map((index) => pool[index % pool.length]!)];
        let stored = arrivals[0]!;
        for (const update of arrivals.slice(1)) {
          stored = mergeYdocIncrementally(stored, update, { minSlack, slackShare: 0.1, maxUnanchored: 1024, maxUnanchoredPerUpdate: 16 }).value;
          // Every intermediate value is a document Yjs can load.
          expect(() => Y.applyUpdate(new Y.Doc(), decodeBase64(stored))).not.toThrow();
        }
        const yjsMerge = encodeBase64(Y.mergeUpdates(arrivals.map((value) => decodeBase64(value))));
        expect(canonicalYdocValue(stored)).toBe(canonicalYdocValue(yjsMerge));
      }),
      { seed, numRuns: 150 },
    );
  });

  it("splices an edit of a new client without compacting, and the result is the same document as Yjs's merge", () => {
    const base = recording(1_000);
    base.doc.getText("body").insert(0, "Meeting notes: ");
    let stored = valueOf(base.doc);
    const reference = new Y.Doc();
    Y.applyUpdate(reference, decodeBase64(stored));
    for (const clientID of [5, 900, 70_000, 3, 1_000_000]) {
      const editor = Object.assign(new Y.Doc(), { clientID });
      Y.applyUpdate(editor, decodeBase64(stored));
      const before = Y.encodeStateVector(editor);
      editor.getText("body").insert(clientID % 10, `[${clientID}]`);
      const edit = Y.encodeStateAsUpdate(editor, before);
      const result = mergeYdocIncrementally(stored, encodeBase64(edit));
      expect(result).toMatchObject({ changed: true, compacted: false });
      Y.applyUpdate(reference, edit);
      stored = result.value;
    }
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, decodeBase64(stored));
    expect(loaded.getText("body").toString()).toBe(reference.getText("body").toString());
    // Clients stay in the order Yjs writes them, so Yjs's own mergeUpdates reads the value too.
    expect(scanYdocUpdate(decodeBase64(stored)).descending).toBe(true);
  });

  it("appends a device's later keystrokes to its block, and compacts once the slack passes the threshold", () => {
    const { doc, updates } = recording(42);
    doc.getText("t").insert(0, "x");
    let stored = updates[0]!;
    let compactions = 0;
    for (let index = 1; index <= 200; index++) {
      doc.getText("t").insert(doc.getText("t").length, String(index % 10));
      const result = mergeYdocIncrementally(stored, updates[index]!);
      expect(result.changed).toBe(true);
      if (result.compacted) compactions++;
      stored = result.value;
    }
    // Not on every edit (that was the old cost), but often enough that the stored form stays small.
    expect(compactions).toBeGreaterThan(0);
    expect(compactions).toBeLessThan(20);
    expect(decodeBase64(stored).length).toBeLessThan(2 * Y.encodeStateAsUpdate(doc).length + 64 * 12);
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, decodeBase64(stored));
    expect(loaded.getText("t").toString()).toBe(doc.getText("t").toString());
  });

  it("says unchanged, and keeps the stored text, for an update the stored document already holds", () => {
    const { doc, updates } = recording(7);
    doc.getText("t").insert(0, "hello");
    doc.getText("t").delete(1, 2);
    const stored = valueOf(doc);
    for (const update of [...updates, stored]) {
      expect(mergeYdocIncrementally(stored, update)).toEqual({ value: stored, changed: false, compacted: false });
    }
  });

  it("merges an update that repeats part of a stored client's structs by cutting off the known part", () => {
    const { doc } = recording(9);
    doc.getText("t").insert(0, "abc");
    const stored = valueOf(doc);
    doc.getText("t").insert(3, "def");
    // The device's whole state: clocks 0-2 are stored already, 3-5 are new.
    const result = mergeYdocIncrementally(stored, valueOf(doc));
    expect(result).toMatchObject({ changed: true, compacted: false });
    expect(canonicalYdocValue(result.value)).toBe(canonicalYdocValue(valueOf(doc)));
  });

  it("falls back to the canonical merge when the stored document has a gap the update would fill", () => {
    const { doc, updates } = recording(11);
    doc.getText("t").insert(0, "a");
    doc.getText("t").insert(1, "b");
    doc.getText("t").insert(2, "c");
    // Only the first and third edits: the stored value holds a pending struct (a Skip).
    const gapped = encodeBase64(Y.mergeUpdates([decodeBase64(updates[0]!), decodeBase64(updates[2]!)]));
    expect(spliceYdocUpdate(decodeBase64(gapped), decodeBase64(updates[1]!))).toBe("fallback");
    const result = mergeYdocIncrementally(gapped, updates[1]!);
    expect(result).toMatchObject({ changed: true, compacted: true });
    expect(canonicalYdocValue(result.value)).toBe(canonicalYdocValue(valueOf(doc)));
  });
});

describe("incremental YDOC merge and update bombs", () => {
  it("does not splice the second half of a split update bomb unchecked: it goes to the canonical merge, which integrates it", () => {
    const anchor = craftYdocBomb(200, { clients: "one-client", part: "anchor" });
    const inserts = craftYdocBomb(200, { clients: "one-client", part: "inserts" });
    expect(scanYdocUpdate(inserts, { trackOrigins: true }).unanchored).toBe(200);
    expect(spliceYdocUpdate(anchor, inserts)).toBe("fallback");
  });

  it("compacts a document once it holds many items that are costly to integrate, even without other slack", () => {
    const anchor = craftYdocBomb(40, { clients: "one-client", part: "anchor" });
    const inserts = craftYdocBomb(40, { clients: "one-client", part: "inserts" });
    const limits = { minSlack: 64, slackShare: 0.25, maxUnanchored: 32, maxUnanchoredPerUpdate: 100 };
    const spliced = spliceYdocUpdate(anchor, inserts, limits);
    expect(spliced).toMatchObject({ compactionDue: true });
    expect(spliceYdocUpdate(anchor, inserts, { ...limits, maxUnanchored: 1024 })).toMatchObject({ compactionDue: false });
  });
});

describe("base64 on Node's native codec", () => {
  it.each([
    ["a length that is not a multiple of 4", "QUJD QQ=="],
    ["missing padding", "QUI"],
    ["the URL alphabet", "-_-_"],
    ["non-zero padding bits", "QUJ="],
    ["whitespace", "QU\nJD"],
  ])("still refuses %s with BAD_USER_INPUT", (_name, text) => {
    let caught: unknown;
    try {
      decodeBase64(text, "value");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SyncpoolError);
    expect((caught as SyncpoolError).code).toBe("BAD_USER_INPUT");
  });

  it("gives bytes the caller owns, not a view into Node's shared pool", () => {
    const bytes = decodeBase64("QUJD");
    expect([...bytes]).toEqual([65, 66, 67]);
    expect(bytes.buffer.byteLength).toBe(3);
  });
});
