/**
 * JSON records on the client: a field write on one device and a different field write on
 * another, made while neither had synced, both survive on both devices and on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { SyncClient } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";

const Todo = z.object({ title: z.string().min(1), done: z.boolean() });

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

async function devicesOfOneIdentity(names: string[], live = false): Promise<SyncClient[]> {
  const [firstName, ...rest] = names;
  const liveClient = (name: string) => {
    const link = net.device(name);
    return link.client(live ? { live, WebSocket: link.WebSocket } : {});
  };
  const first = liveClient(firstName as string);
  const guest = await first.signIn();
  const others = [];
  for (const name of rest) {
    const client = liveClient(name);
    await client.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
    others.push(client);
  }
  return [first, ...others];
}

describe("JSON records on the client", () => {
  it("keeps a rename on one device and a tick on another made concurrently, on both devices and the server", async () => {
    const [a, b, reader] = (await devicesOfOneIdentity(["todo-a", "todo-b", "todo-reader"])) as [SyncClient, SyncClient, SyncClient];
    await a.dataset("todos", { schema: Todo }).put("t1", { title: "Buy milk", done: false });
    await a.sync();
    await b.sync();
    expect(await b.dataset("todos", { schema: Todo }).get("t1")).toEqual({ title: "Buy milk", done: false });

    // Neither device syncs between these writes: they are concurrent.
    await a.dataset("todos", { schema: Todo }).update("t1", { title: "Buy oat milk" });
    await b.dataset("todos", { schema: Todo }).update("t1", { done: true });
    await a.sync();
    await b.sync();
    await a.sync();

    const expected = { title: "Buy oat milk", done: true };
    expect(await a.dataset("todos", { schema: Todo }).get("t1")).toEqual(expected);
    expect(await b.dataset("todos", { schema: Todo }).get("t1")).toEqual(expected);
    // The reader wrote nothing: after a pull it holds what the server holds.
    await reader.sync();
    expect(await reader.dataset("todos").get("t1")).toEqual(expected);
    expect((await reader.dataset("todos").getRecord("t1"))?.kind).toBe("JSON");
  });

  it("merges the other device's tick into a rename still pending here, before the push", async () => {
    const [a, b] = (await devicesOfOneIdentity(["todo-live-a", "todo-live-b"], true)) as [SyncClient, SyncClient];
    const todosA = a.dataset("todos", { schema: Todo });
    await todosA.put("t1", { title: "Buy milk", done: false });
    await a.sync();
    await b.sync();

    await todosA.update("t1", { title: "Buy oat milk" });
    await b.dataset("todos", { schema: Todo }).update("t1", { done: true });
    await b.sync();
    // B's tick reaches A as a live change while A's rename is still in its outbox.
    const expected = { title: "Buy oat milk", done: true };
    await expect.poll(() => todosA.get("t1")).toEqual(expected);
    expect(await todosA.pendingCount()).toBe(1);

    await a.sync();
    await b.sync();
    expect(await todosA.pendingCount()).toBe(0);
    expect(await todosA.get("t1")).toEqual(expected);
    expect(await b.dataset("todos", { schema: Todo }).get("t1")).toEqual(expected);
  });

  it("stores objects given to putMany and to a transaction as JSON records, and syncs them", async () => {
    const [a, b] = (await devicesOfOneIdentity(["todo-many-a", "todo-many-b"])) as [SyncClient, SyncClient];
    const todos = a.dataset("todos", { schema: Todo });
    await todos.putMany({ t1: { title: "One", done: false }, t2: { title: "Two", done: true } });
    await a.transaction((tx) => tx.dataset("todos").put("t3", { title: "Three", done: false }));
    await expect(todos.putMany([["t4", { title: "", done: false }]])).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    await a.sync();
    await b.sync();
    expect(await b.dataset("todos", { schema: Todo }).getAll()).toEqual({
      t1: { title: "One", done: false },
      t2: { title: "Two", done: true },
      t3: { title: "Three", done: false },
    });
    expect((await b.dataset("todos").getRecord("t3"))?.kind).toBe("JSON");
  });

  it("refuses a write its schema refuses, with the path, and stores nothing", async () => {
    const [device] = (await devicesOfOneIdentity(["todo-schema"])) as [SyncClient];
    const todos = device.dataset("todos", { schema: Todo });
    await expect(todos.put("t1", { title: "", done: false })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      details: { reason: "schema" },
      message: expect.stringContaining("value.title"),
    });
    await todos.put("t1", { title: "Walk", done: false });
    await expect(todos.update("t1", { done: "yes" as unknown as boolean })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    expect(await todos.get("t1")).toEqual({ title: "Walk", done: false });
    expect(await todos.pendingCount()).toBe(1);
  });
});
