// Properties run with a fixed seed; on failure fast-check prints the seed and the counterexample
// path. Replay with: FC_SEED=<seed> npx vitest run test/unit/core-ydoc.test.ts
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as Y from "yjs";
import { decodeBase64, encodeBase64 } from "../../core/base64.js";
import { SyncpoolError } from "../../core/errors.js";
import {
  canonicalYdocValue,
  mergeYdocValues,
  validateYdocUpdate,
  ydocValuesEqual,
} from "../../core/ydoc.js";
import { ydocUpdatePoolArb } from "../helpers/ydoc-arbitrary.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_241_122;

function errorOf(fn: () => unknown): { code: string; details: unknown } | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (!(error instanceof SyncpoolError)) throw error;
    return { code: error.code, details: error.details };
  }
}

/** A document's visible content, the thing merges must agree on. */
function contentOf(value: string): { text: string; map: unknown } {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, decodeBase64(value));
  return { text: doc.getText("t").toString(), map: doc.getMap("m").toJSON() };
}

function docWith(clientID: number, edit: (doc: Y.Doc) => void): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  edit(doc);
  return doc;
}

const valueOf = (doc: Y.Doc) => encodeBase64(Y.encodeStateAsUpdate(doc));

const ydocPoolArb = ydocUpdatePoolArb(30);
const pick = (pool: string[], i: number) => pool[i % pool.length]!;

describe("base64", () => {
  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("base64"));
        expect(decodeBase64(text)).toEqual(bytes);
      }),
      { seed, numRuns: 500 },
    );
  });

  it("round-trips a megabyte without overflowing the stack", () => {
    const bytes = new Uint8Array(1_048_576).map((_, i) => (i * 31) & 0xff);
    const text = encodeBase64(bytes);
    expect(text).toBe(Buffer.from(bytes).toString("base64"));
    // Buffer.equals, not toEqual: a deep diff of a megabyte takes seconds.
    expect(Buffer.from(decodeBase64(text)).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each([
    ["QQ", "missing padding"],
    ["QQ=", "short padding"],
    ["Q===", "too much padding"],
    ["QQ==QQ==", "padding in the middle"],
    ["QR==", "stray bits in the last character"],
    ["QUJ=", "stray bits with one pad"],
    ["QU J", "whitespace"],
    ["QUJ\n", "newline"],
    ["-_-_", "URL alphabet"],
    ["QUJDé===", "non-ASCII"],
  ])("rejects %j (%s) naming the field", (text) => {
    expect(errorOf(() => decodeBase64(text, "patches.0.value"))).toMatchObject({
      code: "BAD_USER_INPUT",
      details: { field: "patches.0.value" },
    });
  });
});

// Property runs over random Yjs documents: about 2 CPU-seconds a test, which a
// machine loaded twelvefold stretches past 20 s (seen: 21 s), so a minute is allowed.
describe("YDOC values", { timeout: 60_000 }, () => {
  it("accepts a real Yjs update and returns its bytes", () => {
    const update = Y.encodeStateAsUpdate(docWith(1, (d) => d.getText("t").insert(0, "hi")));
    expect(validateYdocUpdate(encodeBase64(update), "value")).toEqual(update);
  });

  it.each([
    ["not base64", "!!!"],
    ["empty", ""],
    ["truncated update", valueOf(docWith(1, (d) => d.getText("t").insert(0, "hello"))).slice(0, 8)],
    ["random bytes", encodeBase64(new Uint8Array([1, 2, 3, 4, 5]))],
  ])("rejects %s naming the field", (_, value) => {
    expect(errorOf(() => validateYdocUpdate(value, "patches.2.value"))).toMatchObject({
      code: "BAD_USER_INPUT",
      details: { field: "patches.2.value" },
    });
  });

  it("a merge holds the edits of both documents", () => {
    const base = docWith(1, (d) => d.getText("t").insert(0, "ac"));
    const left = docWith(2, (d) => Y.applyUpdate(d, Y.encodeStateAsUpdate(base)));
    const right = docWith(3, (d) => Y.applyUpdate(d, Y.encodeStateAsUpdate(base)));
    left.getText("t").insert(1, "b");
    right.getText("t").insert(2, "d");
    expect(contentOf(mergeYdocValues(valueOf(left), valueOf(right))).text).toBe("abcd");
  });

  it("compaction drops deleted text, so a merged value shrinks after deletions", () => {
    const doc = docWith(1, (d) => d.getText("t").insert(0, "x".repeat(10_000)));
    const before = valueOf(doc);
    doc.getText("t").delete(0, 9_990);
    const raw = encodeBase64(Y.mergeUpdates([decodeBase64(before), Y.encodeStateAsUpdate(doc)]));
    const merged = mergeYdocValues(before, valueOf(doc));
    expect(merged.length).toBeLessThan(raw.length / 10);
    expect(contentOf(merged).text).toBe("x".repeat(10));
  });

  // The experiment behind compacting on every merge (see core/ydoc.ts).
  it("merged values are byte-identical whatever the order and grouping", () => {
    fc.assert(
      fc.property(ydocPoolArb, fc.nat(), fc.nat(), fc.nat(), (pool, i, j, k) => {
        const [a, b, c] = [pick(pool, i), pick(pool, j), pick(pool, k)];
        expect(mergeYdocValues(a, b)).toBe(mergeYdocValues(b, a));
        expect(mergeYdocValues(mergeYdocValues(a, b), c)).toBe(
          mergeYdocValues(a, mergeYdocValues(b, c)),
        );
        const canonical = canonicalYdocValue(a);
        expect(mergeYdocValues(a, a)).toBe(canonical);
        expect(mergeYdocValues(canonical, canonical)).toBe(canonical);
        expect(contentOf(canonical)).toEqual(contentOf(a));
      }),
      { seed, numRuns: 300 },
    );
  });

  it("values with the same document state are equal even when their bytes differ", () => {
    fc.assert(
      fc.property(ydocPoolArb, fc.nat(), fc.nat(), (pool, i, j) => {
        const [a, b] = [pick(pool, i), pick(pool, j)];
        const merged = mergeYdocValues(a, b);
        // Merging the pieces again, in another form, is the same state.
        const rawMerge = Y.mergeUpdates([decodeBase64(b), decodeBase64(a)]);
        expect(ydocValuesEqual(merged, encodeBase64(rawMerge))).toBe(true);
        expect(ydocValuesEqual(a, canonicalYdocValue(a))).toBe(true);
      }),
      { seed, numRuns: 200 },
    );
    const one = valueOf(docWith(1, (d) => d.getText("t").insert(0, "one")));
    const two = valueOf(docWith(1, (d) => d.getText("t").insert(0, "two")));
    expect(ydocValuesEqual(one, two)).toBe(false);
  });
});
