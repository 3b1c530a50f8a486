/**
 * One copy of Yjs and Dexie: the client takes them from the app (peer dependencies), so an app's
 * `import * as Y from "yjs"` works on the client's bound docs.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { SyncClient } from "../../client/index.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

describe("yjs and dexie come from the app", () => {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as Record<string, Record<string, string>>;

  it("are peer dependencies (and dev dependencies for our own tests), never bundled dependencies", () => {
    for (const name of ["yjs", "dexie"]) {
      expect(manifest.peerDependencies?.[name], name).toEqual(expect.any(String));
      expect(manifest.devDependencies?.[name], name).toBe(manifest.peerDependencies?.[name]);
      expect(manifest.dependencies?.[name], name).toBeUndefined();
    }
  });

  it("a bound doc is a Y.Doc of the app's Yjs, and the app's Y.applyUpdate edits it", async () => {
    const client = memoryClient(new MemoryServer());
    clients.push(client);
    await client.signIn();
    const notes = client.dataset("notes");
    const doc = notes.doc("page");
    expect(doc).toBeInstanceOf(Y.Doc);
    const elsewhere = new Y.Doc();
    elsewhere.getText("t").insert(0, "from the app's Yjs");
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(elsewhere));
    await notes.flush();
    const saved = new Y.Doc();
    Y.applyUpdate(saved, Buffer.from((await notes.get("page")) as string, "base64"));
    expect(saved.getText("t").toString()).toBe("from the app's Yjs");
  });
});
