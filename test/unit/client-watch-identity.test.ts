import { afterEach, describe, expect, it } from "vitest";
import type { Observable, SyncClient } from "../../client/index.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

function tracked(server = new MemoryServer()): SyncClient {
  const client = memoryClient(server);
  clients.push(client);
  return client;
}

describe("watchers follow the identity signed in", () => {
  it("a watch made before signIn() delivers the identity's values once it signs in", async () => {
    const client = tracked();
    const values: Array<string | undefined> = [];
    const stop = client.dataset("w").watch("k", (value) => values.push(value));
    expect(values).toEqual([undefined]);
    await client.signIn();
    await client.dataset("w").put("k", "1");
    await expect.poll(() => values).toEqual([undefined, "1"]);
    stop();
  });

  it("a watch kept across a sign-out and another identity's sign-in empties, then shows the new identity", async () => {
    const client = tracked();
    await client.signIn();
    await client.dataset("w").putMany({ k: "first", j: "x" });
    const values: Array<string | undefined> = [];
    const all: Array<Record<string, string>> = [];
    const stop = client.dataset("w").watch("k", (value) => values.push(value));
    const stopAll = client.dataset("w").watch(undefined, (value) => all.push(value));
    await expect.poll(() => values).toEqual(["first"]);
    await client.signOut({ wipe: true });
    await expect.poll(() => values).toEqual(["first", undefined]);
    expect(all.at(-1)).toEqual({});
    await client.signIn();
    await client.dataset("w").put("k", "second");
    await expect.poll(() => values).toEqual(["first", undefined, "second"]);
    await expect.poll(() => all.at(-1)).toEqual({ k: "second" });
    stop();
    stopAll();
  });

  it("a watch kept across a sign-out and the same identity's sign-in sees its data again", async () => {
    const client = tracked();
    await client.signIn();
    await client.dataset("w").put("k", "kept");
    const values: Array<string | undefined> = [];
    const stop = client.dataset("w").watch("k", (value) => values.push(value));
    await expect.poll(() => values).toEqual(["kept"]);
    await client.signOut();
    await expect.poll(() => values).toEqual(["kept", undefined]);
    await client.signIn();
    await expect.poll(() => values).toEqual(["kept", undefined, "kept"]);
    await client.dataset("w").put("k", "changed");
    await expect.poll(() => values.at(-1)).toBe("changed");
    stop();
  });
});

describe("the exported Observable", () => {
  it("works as a Svelte store: subscribe(fn) returns an unsubscribe function and replays the known value synchronously", async () => {
    const client = tracked();
    await client.signIn();
    await client.dataset("s").put("k", "v");
    const observable: Observable<string | undefined> = client.dataset("s").observe("k");
    const first: Array<string | undefined> = [];
    const unsubscribeFirst = observable.subscribe((value) => first.push(value));
    await expect.poll(() => first).toEqual(["v"]);
    const second: Array<string | undefined> = [];
    const unsubscribeSecond = observable.subscribe((value) => second.push(value));
    expect(second).toEqual(["v"]);
    expect(typeof unsubscribeFirst).toBe("function");
    unsubscribeFirst();
    unsubscribeSecond.unsubscribe();
    await client.dataset("s").put("k", "after");
    expect(await client.dataset("s").get("k")).toBe("after");
    expect(first).toEqual(["v"]);
  });

  it("does not re-emit a value equal to the last one", async () => {
    const client = tracked();
    await client.signIn();
    const d = client.dataset("e");
    await d.put("k", "same");
    const values: Array<string | undefined> = [];
    const stop = d.observe("k").subscribe({ next: (value) => values.push(value) });
    await expect.poll(() => values).toEqual(["same"]);
    await d.put("k", "same");
    await d.put("other", "x");
    await d.put("k", "new");
    await expect.poll(() => values).toEqual(["same", "new"]);
    stop();
  });

  it("offers the interop entry RxJS from() looks for", async () => {
    const client = tracked();
    await client.signIn();
    await client.dataset("r").put("k", "v");
    const observable = client.dataset("r").observe("k");
    const symbol = (Symbol as { observable?: symbol }).observable;
    const interop = symbol ? (observable as unknown as Record<symbol, () => Observable<string | undefined>>)[symbol]!() : observable["@@observable"]();
    const values: Array<string | undefined> = [];
    const subscription = interop.subscribe({ next: (value) => values.push(value) });
    await expect.poll(() => values).toEqual(["v"]);
    expect(typeof subscription.unsubscribe).toBe("function");
    subscription.unsubscribe();
  });
});
