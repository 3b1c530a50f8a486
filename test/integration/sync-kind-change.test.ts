import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeBase64 } from "../../core/base64.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

/** A small valid Yjs update (base64), as a client pushes for a YDOC record. */
function ydocUpdate(text: string): string {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return encodeBase64(Y.encodeStateAsUpdate(doc));
}

describe("a live key keeps its kind on the server", () => {
  let server: InProcessServer;
  let api: SyncApi;

  beforeAll(async () => {
    server = await startInProcessServer();
    api = syncApi(server, (await server.signInGuest()).token);
  });
  afterAll(async () => server?.close());

  it("refuses a YDOC write to a live STRING key with KIND_CHANGE and changes nothing", async () => {
    await api.push({ dataset: "k1", patches: [{ op: "REPLACE", key: "note", value: "plain" }] });
    await expect(
      api.push({ dataset: "k1", patches: [{ op: "REPLACE", key: "note", value: ydocUpdate("x"), kind: "YDOC" }] }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { reason: "KIND_CHANGE", field: "patches[0].kind" } });
    const pulled = await api.pullAll("k1");
    expect(pulled.datasetSyncCount).toBe(1);
    expect(pulled.records).toMatchObject([{ key: "note", kind: "STRING", value: "plain" }]);
  });

  it("refuses a STRING write to a live YDOC key, even beside valid patches", async () => {
    await api.push({ dataset: "k2", patches: [{ op: "REPLACE", key: "doc", value: ydocUpdate("hello"), kind: "YDOC" }] });
    await expect(
      api.push({
        dataset: "k2",
        patches: [
          { op: "REPLACE", key: "other", value: "fine" },
          { op: "REPLACE", key: "doc", value: "now a string" },
        ],
      }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { reason: "KIND_CHANGE", field: "patches[1].kind" } });
    const pulled = await api.pullAll("k2");
    expect(pulled.datasetSyncCount).toBe(1);
    expect(pulled.records.map((record) => [record.key, record.kind])).toEqual([["doc", "YDOC"]]);
  });

  it("lets a removed key come back as the other kind", async () => {
    await api.push({ dataset: "k3", patches: [{ op: "REPLACE", key: "flip", value: "plain" }] });
    await api.push({ dataset: "k3", patches: [{ op: "REMOVE", key: "flip" }] });
    await api.push({ dataset: "k3", patches: [{ op: "REPLACE", key: "flip", value: ydocUpdate("doc"), kind: "YDOC" }] });
    const pulled = await api.pullAll("k3");
    expect(pulled.records).toMatchObject([{ key: "flip", kind: "YDOC", deleted: false }]);
  });
});
