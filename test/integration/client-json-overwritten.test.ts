/**
 * The `overwritten` event: a local write that loses the merge to a concurrent remote one is
 * reported on the losing device (with both values and clocks, and the field path of a JSON
 * record), never on the winner, and never for concurrent writes to different fields.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OverwrittenReport, SyncClient } from "../../client/index.js";
import { compareClocks } from "../../core/clock.js";
import { TestNetwork } from "../helpers/client-network.js";

interface Todo {
  title: string;
  done: boolean;
  marker?: string;
}

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

async function twoDevices(prefix: string, live = false): Promise<[SyncClient, SyncClient]> {
  const [linkA, linkB] = [net.device(`${prefix}-a`), net.device(`${prefix}-b`)];
  const a = linkA.client(live ? { live, WebSocket: linkA.WebSocket } : {});
  const guest = await a.signIn();
  const b = linkB.client(live ? { live, WebSocket: linkB.WebSocket } : {});
  await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
  return [a, b];
}

function record(client: SyncClient): OverwrittenReport[] {
  const reports: OverwrittenReport[] = [];
  client.on("overwritten", (report) => reports.push(report));
  return reports;
}

async function clockOf(client: SyncClient, dataset: string, key: string): Promise<string> {
  return (await client.dataset(dataset).getRecord(key))?.clock as string;
}

/** Which of two devices' concurrent writes of `key` wins: the later clock. */
async function order(a: SyncClient, b: SyncClient, dataset: string, key: string) {
  const [clockA, clockB] = [await clockOf(a, dataset, key), await clockOf(b, dataset, key)];
  return compareClocks(clockA, clockB) > 0
    ? { winner: a, loser: b, winClock: clockA, loseClock: clockB }
    : { winner: b, loser: a, winClock: clockB, loseClock: clockA };
}

describe("the overwritten event", () => {
  it("reports a STRING write that lost to a concurrent one on the losing device only", async () => {
    const [a, b] = await twoDevices("ow-string");
    const seen = new Map([
      [a, record(a)],
      [b, record(b)],
    ]);
    await a.dataset("notes").put("n1", "from a");
    await b.dataset("notes").put("n1", "from b");
    const { winner, loser, winClock, loseClock } = await order(a, b, "notes", "n1");
    const winning = winner === a ? "from a" : "from b";
    const losing = winner === a ? "from b" : "from a";
    // The winner's write reaches the server first; the loser learns of it by its push answer.
    await winner.sync();
    await loser.sync();
    await winner.sync();
    expect(seen.get(loser)).toEqual([
      { dataset: "notes", key: "n1", local: { value: losing, clock: loseClock }, remote: { value: winning, clock: winClock } },
    ]);
    expect(seen.get(winner)).toEqual([]);
    expect(await loser.dataset("notes").get("n1")).toBe(winning);
  });

  it("reports a pending JSON field write that a live change beat, with the field's path, once", async () => {
    const [a, b] = await twoDevices("ow-json", true);
    await a.dataset<Todo>("todos").put("t1", { title: "Milk", done: false });
    await a.sync();
    await b.sync();
    const seen = new Map([
      [a, record(a)],
      [b, record(b)],
    ]);
    await a.dataset<Todo>("todos").update("t1", { title: "Oat milk" });
    await b.dataset<Todo>("todos").update("t1", { title: "Soy milk" });
    const { winner, loser, winClock, loseClock } = await order(a, b, "todos", "t1");
    const winning = winner === a ? "Oat milk" : "Soy milk";
    const losing = winner === a ? "Soy milk" : "Oat milk";
    // The loser's write is still pending when the winner's arrives as a live change.
    await winner.sync();
    await expect.poll(() => seen.get(loser)?.length).toBe(1);
    await loser.sync();
    await winner.sync();
    expect(seen.get(loser)).toEqual([
      {
        dataset: "todos",
        key: "t1",
        path: "title",
        local: { value: losing, clock: loseClock },
        remote: { value: winning, clock: winClock },
      },
    ]);
    expect(seen.get(winner)).toEqual([]);
    expect(await loser.dataset<Todo>("todos").get("t1")).toEqual({ title: winning, done: false });
  });

  it("reports nothing for concurrent writes to different fields", async () => {
    const [a, b] = await twoDevices("ow-fields");
    await a.dataset<Todo>("todos").put("t1", { title: "Milk", done: false });
    await a.sync();
    await b.sync();
    const seen = new Map([
      [a, record(a)],
      [b, record(b)],
    ]);
    await a.dataset<Todo>("todos").update("t1", { title: "Oat milk" });
    await b.dataset<Todo>("todos").update("t1", { done: true });
    // A later conflicting write on a marker field: its report comes after any report the
    // field writes above could cause, so an empty list before it proves there was none.
    await a.dataset<Todo>("todos").update("t1", { marker: "a" });
    await b.dataset<Todo>("todos").update("t1", { marker: "b" });
    const { winner, loser } = await order(a, b, "todos", "t1");
    await winner.sync();
    await loser.sync();
    await winner.sync();
    expect(seen.get(loser)?.map((report) => report.path)).toEqual(["marker"]);
    expect(seen.get(winner)).toEqual([]);
    const expected = { title: "Oat milk", done: true, marker: expect.any(String) };
    expect(await a.dataset<Todo>("todos").get("t1")).toEqual(expected);
    expect(await b.dataset<Todo>("todos").get("t1")).toEqual(await a.dataset<Todo>("todos").get("t1"));
  });
});
