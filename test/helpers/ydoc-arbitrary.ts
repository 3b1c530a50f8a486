/**
 * A fast-check generator of real Yjs updates for merge properties: three replicas with fixed
 * client ids make random edits to a Y.Text ("t") and a Y.Map ("m"), syncing now and then. The pool
 * holds every incremental update (partial updates whose dependencies may be missing) and each
 * replica's full final state, all base64 as YDOC record values.
 */
import fc from "fast-check";
import * as Y from "yjs";
import { encodeBase64 } from "../../core/base64.js";

const editArb = fc.record({
  replica: fc.nat(2),
  op: fc.constantFrom("insert", "insert", "delete", "set", "sync"),
  at: fc.nat(60),
  text: fc.string({ minLength: 1, maxLength: 4 }),
  to: fc.nat(2),
});

/** Pools of YDOC values from up to `maxEdits` random edits. */
export function ydocUpdatePoolArb(maxEdits: number): fc.Arbitrary<string[]> {
  return fc.array(editArb, { minLength: 1, maxLength: maxEdits }).map((edits) => {
    const docs = [101, 202, 303].map((clientID) => Object.assign(new Y.Doc(), { clientID }));
    const pool: string[] = [];
    for (const doc of docs) {
      doc.on("update", (update: Uint8Array, origin: unknown) => {
        if (origin !== "sync") pool.push(encodeBase64(update));
      });
    }
    for (const { replica, op, at, text, to } of edits) {
      const doc = docs[replica]!;
      const t = doc.getText("t");
      if (op === "insert") t.insert(at % (t.length + 1), text);
      if (op === "delete" && t.length > 0) {
        const from = at % t.length;
        t.delete(from, Math.min(3, t.length - from));
      }
      if (op === "set") doc.getMap("m").set(text, at);
      if (op === "sync") Y.applyUpdate(docs[to]!, Y.encodeStateAsUpdate(doc), "sync");
    }
    return [...pool, ...docs.map((doc) => encodeBase64(Y.encodeStateAsUpdate(doc)))];
  });
}
