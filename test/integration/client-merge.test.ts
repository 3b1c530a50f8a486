/**
 * Acceptance: concurrent writes on three devices converge to the merge rule's winner, and
 * concurrent edits of one YDOC record keep both edits.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeRecordStates, type RecordState } from "../../core/merge.js";
import type { SyncClient } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

async function devicesOfOneIdentity(names: string[]): Promise<SyncClient[]> {
  const [firstName, ...rest] = names;
  const first = net.device(firstName as string).client();
  const guest = await first.signIn();
  const others = [];
  for (const name of rest) {
    const client = net.device(name).client();
    await client.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
    others.push(client);
  }
  return [first, ...others];
}

// Two or three devices, each a client with its own IndexedDB (fake-indexeddb), sign in and sync
// several rounds through a real server: about a second on an idle machine on PostgreSQL, past
// vitest's 5 s when two suites share its two cores.
describe("concurrent writes", { timeout: 30_000 }, () => {
  it("converge on three devices to the merge rule's winner", async () => {
    const devices = await devicesOfOneIdentity(["m1", "m2", "m3"]);
    const keys = ["color", "size", "gone", "fresh"];
    // Every device writes every key while none has synced: all writes are concurrent.
    for (const [index, device] of devices.entries()) {
      const ds = device.dataset("prefs");
      await ds.put("color", `color-${index}`);
      await ds.put("size", `size-${index}`);
      if (index === 1) await ds.remove("gone");
      else await ds.put("gone", `gone-${index}`);
      if (index === 2) await ds.put("fresh", "only-here");
    }
    const expected = new Map<string, RecordState>();
    for (const device of devices) {
      for (const key of keys) {
        const record = await device.dataset("prefs").getRecord(key);
        if (!record) continue;
        const { syncCount: _s, lastModifiedAt: _l, ...state } = record;
        const known = expected.get(key);
        expected.set(key, known ? mergeRecordStates(known, state) : state);
      }
    }
    for (const device of devices) await device.sync();
    for (const device of devices) await device.sync();

    for (const device of devices) {
      for (const key of keys) {
        const record = await device.dataset("prefs").getRecord(key);
        const winner = expected.get(key) as RecordState;
        expect({ key, value: record?.value, deleted: record?.deleted, clock: record?.clock }).toEqual({
          key,
          value: winner.value,
          deleted: winner.deleted,
          clock: winner.clock,
        });
      }
    }
    const views = await Promise.all(devices.map((device) => device.dataset("prefs").getAll()));
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);
  });

  it("keep both edits of one YDOC record (text inserted at both ends on two devices)", async () => {
    const [a, b] = (await devicesOfOneIdentity(["y1", "y2"])) as [SyncClient, SyncClient];
    const docA = a.dataset("docs").doc("note");
    await docA.whenLoaded;
    docA.getText("body").insert(0, "middle");
    await a.sync();
    await b.sync();
    const docB = b.dataset("docs").doc("note");
    await docB.whenLoaded;
    expect(docB.getText("body").toString()).toBe("middle");

    // Concurrent edits: neither has seen the other's.
    docA.getText("body").insert(0, "START ");
    docB.getText("body").insert(docB.getText("body").length, " END");
    // Doc edits are saved asynchronously; sync() waits for the saves of edits made before it.
    await a.sync();
    await b.sync();
    await a.sync();
    expect(docA.getText("body").toString()).toBe("START middle END");
    expect(docB.getText("body").toString()).toBe("START middle END");
    expect(await a.dataset("docs").get("note")).toBe(await b.dataset("docs").get("note"));

    // A third device that opens the document later loads the merged state.
    const c = net.device("y3").client();
    await c.signIn({ identityId: a.identityId as string, deviceSecret: (await a.signIn()).deviceSecret as string });
    await c.sync();
    const docC = c.dataset("docs").doc("note");
    await docC.whenLoaded;
    expect(docC.getText("body").toString()).toBe("START middle END");
  });
});
