// YDOC records merged incrementally by the server (`core/ydoc-append.ts`): what is stored is a
// document any Yjs can load, equal to Yjs's own merge of the pushed updates, and the dataset's
// byte limit is enforced on the value as stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { recordSizeBytes } from "../../core/limits.js";
import { canonicalYdocValue } from "../../core/ydoc.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const toBase64 = (update: Uint8Array) => Buffer.from(update).toString("base64");
const MAX_DATASET_BYTES = 1_048_576;

/** An update of a new device inserting `text` into the document `base` at `index`. */
function editOf(base: Uint8Array, clientID: number, index: number, text: string): Uint8Array {
  const doc = Object.assign(new Y.Doc(), { clientID });
  Y.applyUpdate(doc, base);
  const before = Y.encodeStateVector(doc);
  const body = doc.getText("body");
  body.insert(Math.min(index, body.length), text);
  return Y.encodeStateAsUpdate(doc, before);
}

describe("YDOC records merged incrementally", { timeout: 60_000 }, () => {
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startInProcessServer();
  });
  afterAll(async () => server?.close());

  async function freshIdentity(): Promise<SyncApi> {
    return syncApi(server, (await server.signInGuest()).token);
  }

  it("stores, for edits of many devices pushed at once, the document Yjs's own merge of those edits gives", async () => {
    const api = await freshIdentity();
    const base = new Y.Doc();
    base.getText("body").insert(0, "Meeting notes: ");
    const baseUpdate = Y.encodeStateAsUpdate(base);
    await api.push({ dataset: "notes", deviceId: "author", patches: [{ op: "REPLACE", key: "doc", kind: "YDOC", value: toBase64(baseUpdate) }] });
    // Long enough that the stored document soon passes the size merged in place and goes to the workers.
    const edits = Array.from({ length: 40 }, (_, index) => editOf(baseUpdate, 1_000 + index * 7_919, (index * 5) % 16, `edit ${index} `.repeat(8)));
    await Promise.all(
      edits.map((edit, index) => api.push({ dataset: "notes", deviceId: `editor-${index}`, patches: [{ op: "REPLACE", key: "doc", kind: "YDOC", value: toBase64(edit) }] })),
    );

    const [record] = (await api.pullAll("notes")).records;
    expect(record!.value!.length).toBeGreaterThan(1024);
    const yjsMerge = toBase64(Y.mergeUpdates([baseUpdate, ...edits]));
    expect(canonicalYdocValue(record!.value!)).toBe(canonicalYdocValue(yjsMerge));

    // An edit the document already holds leaves the stored bytes as they were (only the write's
    // metadata moves on).
    await api.push({ dataset: "notes", deviceId: "editor-0", patches: [{ op: "REPLACE", key: "doc", kind: "YDOC", value: toBase64(edits[0]!) }] });
    const [after] = (await api.pullAll("notes")).records;
    expect(after!.value).toBe(record!.value);
  });

  it("refuses the edit that would take the stored document over the dataset's byte limit, and keeps the document as it was", async () => {
    const api = await freshIdentity();
    const base = new Y.Doc();
    base.getText("body").insert(0, "Draft: ");
    const baseUpdate = Y.encodeStateAsUpdate(base);
    // Leave about 6 KB of the megabyte for the document.
    const padding = "x".repeat(MAX_DATASET_BYTES - 6_000 - "pad".length);
    await api.push({
      dataset: "full",
      patches: [
        { op: "REPLACE", key: "pad", value: padding },
        { op: "REPLACE", key: "doc", kind: "YDOC", value: toBase64(baseUpdate) },
      ],
    });

    let refused: unknown = null;
    let lastStored: { value: string | null; syncCount: number } | null = null;
    for (let index = 0; index < 40 && refused === null; index++) {
      const edit = editOf(baseUpdate, 50_000 + index, "Draft: ".length, `${"chunk ".repeat(40)}${index}`);
      try {
        await api.push({ dataset: "full", deviceId: `writer-${index}`, patches: [{ op: "REPLACE", key: "doc", kind: "YDOC", value: toBase64(edit) }] });
      } catch (error) {
        refused = error;
        break;
      }
      // The limit counts what is stored: the dataset's size is its records' keys and values as pulled.
      const { records } = await api.pullAll("full");
      const doc = records.find((record) => record.key === "doc")!;
      expect((await api.dataset("full"))!.sizeBytes).toBe(records.reduce((sum, record) => sum + recordSizeBytes(record.key, record.value), 0));
      lastStored = { value: doc.value, syncCount: doc.syncCount };
    }

    expect(refused).toMatchObject({ code: "LIMIT_EXCEEDED", extensions: { limit: "maxDatasetBytes", max: MAX_DATASET_BYTES } });
    expect(lastStored).not.toBeNull();
    const doc = (await api.pullAll("full")).records.find((record) => record.key === "doc")!;
    expect({ value: doc.value, syncCount: doc.syncCount }).toEqual(lastStored);
    // What is stored is still a document a client can apply.
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, Buffer.from(doc.value!, "base64"));
    expect(loaded.getText("body").toString()).toMatch(/^Draft: (chunk )+\d+/);
  });
});
