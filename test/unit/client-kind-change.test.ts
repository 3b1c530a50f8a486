import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { SyncClient } from "../../client/index.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function signedIn(): Promise<SyncClient> {
  const client = memoryClient(new MemoryServer());
  clients.push(client);
  await client.signIn();
  return client;
}

describe("a live key keeps its kind on the client", () => {
  it("refuses put() on a key bound to a document, writing nothing", async () => {
    const client = await signedIn();
    const notes = client.dataset("notes");
    const doc = notes.doc("page");
    doc.getText("t").insert(0, "hello");
    await notes.flush();
    const pending = await notes.pendingCount();
    await expect(notes.put("page", "plain")).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { reason: "KIND_CHANGE" } });
    expect((await notes.getRecord("page"))?.kind).toBe("YDOC");
    expect(await notes.pendingCount()).toBe(pending);
  });

  it("reports KIND_CHANGE when doc() binds a live STRING key, and keeps the string", async () => {
    const client = await signedIn();
    const notes = client.dataset("notes");
    await notes.put("title", "plain");
    const errors: unknown[] = [];
    client.on("syncError", (event) => errors.push(event.error));
    const doc = notes.doc("title");
    await new Promise((resolve) => doc.once("load", resolve));
    expect(errors).toMatchObject([{ code: "BAD_USER_INPUT", details: { reason: "KIND_CHANGE" } }]);
    doc.getText("t").insert(0, "edit");
    await notes.flush();
    expect(await notes.get("title")).toBe("plain");
    expect(await notes.pendingCount()).toBe(1);
  });

  it("lets a removed key come back as the other kind", async () => {
    const client = await signedIn();
    const notes = client.dataset("notes");
    await notes.put("flip", "plain");
    await notes.remove("flip");
    const doc = notes.doc("flip");
    doc.getText("t").insert(0, "now a doc");
    await notes.flush();
    const record = await notes.getRecord("flip");
    expect(record).toMatchObject({ kind: "YDOC", deleted: false });
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Buffer.from(record?.value ?? "", "base64"));
    expect(copy.getText("t").toString()).toBe("now a doc");
  });
});

describe("getAll by kind", () => {
  it("keeps only plain values with { kind: 'STRING' } and only documents with { kind: 'YDOC' }", async () => {
    const client = await signedIn();
    const notes = client.dataset("notes");
    await notes.put("title", "plain");
    notes.doc("body").getText("t").insert(0, "doc");
    await notes.flush();
    expect(Object.keys(await notes.getAll()).sort()).toEqual(["body", "title"]);
    expect(await notes.getAll({ kind: "STRING" })).toEqual({ title: "plain" });
    expect(Object.keys(await notes.getAll({ kind: "YDOC" }))).toEqual(["body"]);
  });
});
