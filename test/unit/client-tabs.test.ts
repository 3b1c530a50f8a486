import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { Emitter } from "../../client/events.js";
import { SyncLoop, type SyncTarget } from "../../client/sync/sync-loop.js";
import type { LocksLike, TabPlatform } from "../../client/tabs/tab-coordinator.js";
import { TabSync } from "../../client/tabs/tab-sync.js";
import type { PushInput, Transport } from "../../client/transport/transport.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

/** Web Locks in memory: exclusive locks granted in request order; `signal` aborts a waiting request. */
function memoryLocks(): LocksLike {
  const tails = new Map<string, Promise<void>>();
  return {
    request(name, options, callback) {
      const previous = tails.get(name) ?? Promise.resolve();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      tails.set(name, previous.then(() => held));
      return new Promise((resolve, reject) => {
        let granted = false;
        options.signal?.addEventListener("abort", () => {
          if (granted) return;
          reject(new Error("AbortError"));
          release();
        });
        void previous.then(async () => {
          if (options.signal?.aborted) return;
          granted = true;
          try {
            resolve(await callback());
          } catch (error) {
            reject(error);
          } finally {
            release();
          }
        });
      });
    },
  };
}

interface Tab {
  tabs: TabSync;
  loop: SyncLoop;
  emitter: Emitter;
  passes: SyncTarget[];
  changed: Array<{ dataset: string; keys: readonly string[] }>;
}

const opened: Tab[] = [];
const clients: SyncClient[] = [];
afterEach(async () => {
  for (const tab of opened.splice(0)) {
    tab.loop.stop();
    tab.tabs.close();
  }
  for (const client of clients.splice(0)) await client.close();
});

/** Lets the event loop go round `count` times: other tabs' work runs meanwhile, whatever the clock says. */
async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** A tab of one browser: its own loop and emitter, the browser's locks and BroadcastChannel; a pass lasts `passTurns` turns of the event loop. */
function openTab(platform: TabPlatform, passTurns = 1): Tab {
  const emitter = new Emitter();
  const passes: SyncTarget[] = [];
  const changed: Tab["changed"] = [];
  const loop: SyncLoop = new SyncLoop({
    runPass: (target) =>
      tabs.exclusive(async () => {
        passes.push(target);
        await turns(passTurns);
      }),
    isRetryable: () => false,
    debounceMs: 5,
    intervalMs: 60_000,
  });
  const tabs: TabSync = new TabSync({
    name: "syncpool:local:tabs-test",
    loop,
    emitter,
    autoSync: true,
    platform,
    onRecordsChanged: (dataset, keys) => changed.push({ dataset, keys }),
    onSignedOut: () => undefined,
  });
  tabs.start();
  const tab = { tabs, loop, emitter, passes, changed };
  opened.push(tab);
  return tab;
}

function browser(): TabPlatform {
  return { locks: memoryLocks(), BroadcastChannel: globalThis.BroadcastChannel };
}

describe("tabs of one browser", () => {
  it("lets one tab lead at a time and hands the lead to the next when it leaves", async () => {
    const platform = browser();
    const first = openTab(platform);
    const second = openTab(platform);
    await vi.waitFor(() => expect(first.tabs.isLeader).toBe(true));
    expect(second.tabs.isLeader).toBe(false);
    // The leader syncs everything when it takes over; the follower stays idle.
    await vi.waitFor(() => expect(first.passes).toEqual(["all"]));
    expect(second.passes).toEqual([]);

    first.loop.stop();
    first.tabs.close();
    await vi.waitFor(() => expect(second.tabs.isLeader).toBe(true));
    await vi.waitFor(() => expect(second.passes).toEqual(["all"]));
  });

  it("has the leader push a follower's write and tells the other tabs which records changed", async () => {
    const platform = browser();
    const leader = openTab(platform);
    await vi.waitFor(() => expect(leader.passes).toHaveLength(1));
    const follower = openTab(platform);
    follower.tabs.wrote("notes", ["a"], { debounce: true });
    await vi.waitFor(() => expect(leader.passes).toHaveLength(2));
    expect([...(leader.passes[1] as Set<string>)]).toEqual(["notes"]);
    expect(follower.passes).toEqual([]);
    expect(leader.changed).toEqual([{ dataset: "notes", keys: ["a"] }]);
  });

  it("never runs passes of two tabs at the same time", async () => {
    const platform = browser();
    const log: string[] = [];
    const a = openTab(platform, 5);
    const b = openTab(platform, 5);
    const run = (name: string, tab: Tab) =>
      tab.tabs.exclusive(async () => {
        log.push(`${name} in`);
        await turns(5);
        log.push(`${name} out`);
      });
    await Promise.all([run("a", a), run("b", b), run("a2", a)]);
    for (let index = 0; index < log.length; index += 2) {
      expect(log[index]?.replace(" in", "")).toBe(log[index + 1]?.replace(" out", ""));
    }
  });

  it("re-emits sync events in the other tabs without echoing them back", async () => {
    const platform = browser();
    const a = openTab(platform);
    const b = openTab(platform);
    const seenByA: string[] = [];
    const seenByB: string[] = [];
    a.emitter.on("syncDone", ({ datasets }) => seenByA.push(datasets.join()));
    b.emitter.on("syncDone", ({ datasets }) => seenByB.push(datasets.join()));
    a.emitter.emit("syncDone", { datasets: ["notes"] });
    await vi.waitFor(() => expect(seenByB).toEqual(["notes"]));
    // B's own event reaches A after anything B re-broadcast before it: an echo would show first.
    b.emitter.emit("syncDone", { datasets: ["marker"] });
    await vi.waitFor(() => expect(seenByA).toContain("marker"));
    expect(seenByA).toEqual(["notes", "marker"]);
  });
});

/** `server`'s transport with pushes that wait while held (an answer still on its way). */
function heldTransport(server: MemoryServer) {
  let gate: Promise<void> | null = null;
  let arrived: () => void = () => undefined;
  const transport: Transport = {
    ...server.transport,
    pushRecords: async (token, input) => {
      arrived();
      if (gate) await gate;
      return server.transport.pushRecords(token, input);
    },
  };
  const hold = () => {
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    return () => {
      gate = null;
      open();
    };
  };
  /** Resolves when the next push reaches the transport (held there while the gate is closed). */
  const nextPush = () => new Promise<void>((resolve) => (arrived = resolve));
  return { transport, hold, nextPush };
}

describe("clients sharing one database without Web Locks", () => {
  it("push each write once when one acknowledges a batch the other has already moved past", async () => {
    const server = new MemoryServer();
    const indexedDB = new IDBFactory();
    const a = heldTransport(server);
    const b = heldTransport(server);
    const first = memoryClient(server, { indexedDB, transport: a.transport });
    // Another handle on the same databases: clients given the same factory coordinate through
    // same-realm locks, as tabs do; a separate handle stands for a tab without Web Locks.
    const second = memoryClient(server, { indexedDB: Object.create(indexedDB) as IDBFactory, transport: b.transport });
    clients.push(first, second);
    await first.signIn();
    await second.signIn();
    expect(second.identityId).toBe(first.identityId);

    await first.dataset("d").put("k1", "v");
    const releaseSecond = b.hold();
    const secondPushed = b.nextPush();
    const secondSync = second.sync(); // takes the batch with k1 and waits for its answer
    await secondPushed;
    await first.sync(); // sends the same stored batch: applied, acknowledged
    await first.dataset("d").put("k2", "v");
    const releaseFirst = a.hold();
    const firstPushed = a.nextPush();
    const firstSync = first.sync(); // stores the next batch (k2) and waits
    await firstPushed;
    releaseSecond(); // the late answer for k1 must not drop the batch with k2
    await secondSync;
    releaseFirst();
    await firstSync;

    const pushes = server.calls.filter((call) => call.method === "pushRecords").map((call) => call.args[1] as PushInput);
    const batches = new Map(pushes.map((push) => [push.mutationId, push.patches.map((patch) => patch.key)]));
    expect([...batches.values()].flat().sort()).toEqual(["k1", "k2"]);
    expect(server.dataset("d").syncCount).toBe(2);
    expect(await first.dataset("d").pendingCount()).toBe(0);
  });
});
