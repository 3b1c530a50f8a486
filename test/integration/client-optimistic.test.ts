/**
 * Acceptance: in an OPTIMISTIC dataset each resolution path (remote, local, value) ends with all
 * devices equal; unresolved conflicts stay pending and are reported again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conflict, SyncClient } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";

let net: TestNetwork;
let deviceCounter = 0;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

/** Three devices of one identity; "d" is OPTIMISTIC, holds k=base, and A then B changed k. */
async function conflicted(onConflict?: (conflicts: Conflict[]) => void) {
  const n = ++deviceCounter;
  const a = net.device(`o${n}-a`).client();
  const guest = await a.signIn();
  const restore = { identityId: guest.identityId, deviceSecret: guest.deviceSecret as string };
  const b = net.device(`o${n}-b`).client(onConflict ? { onConflict } : {});
  const c = net.device(`o${n}-c`).client();
  await b.signIn(restore);
  await c.signIn(restore);
  await a.dataset("d").configure({ conflictStrategy: "OPTIMISTIC" });
  await a.dataset("d").put("k", "base");
  await a.dataset("d").put("untouched", "same");
  await a.sync();
  await b.sync();
  await c.sync();
  await a.dataset("d").put("k", "from-a");
  await a.sync();
  await b.dataset("d").put("k", "from-b");
  await b.dataset("d").put("new-on-b", "fine");
  return { a, b, c };
}

async function expectAllEqual(devices: SyncClient[], expected: Record<string, string>) {
  for (const device of devices) await device.sync();
  for (const device of devices) {
    expect(await device.dataset("d").getAll()).toEqual(expected);
    expect(await device.dataset("d").pendingCount()).toBe(0);
  }
}

describe("OPTIMISTIC datasets", () => {
  it("useRemote keeps the server's record on every device", async () => {
    const seen: Array<[string | null | undefined, string | null | undefined]> = [];
    const { a, b, c } = await conflicted((conflicts) => {
      for (const conflict of conflicts) {
        seen.push([conflict.local?.value, conflict.remote?.value]);
        conflict.useRemote();
      }
    });
    await b.sync();
    expect(seen).toEqual([["from-b", "from-a"]]);
    await expectAllEqual([a, b, c], { k: "from-a", untouched: "same", "new-on-b": "fine" });
  });

  it("useLocal overwrites the server's record on every device", async () => {
    const { a, b, c } = await conflicted((conflicts) => conflicts.forEach((conflict) => conflict.useLocal()));
    await b.sync();
    await expectAllEqual([a, b, c], { k: "from-b", untouched: "same", "new-on-b": "fine" });
  });

  it("useValue writes the chosen value on every device", async () => {
    const { a, b, c } = await conflicted((conflicts) =>
      conflicts.forEach((conflict) => conflict.useValue(`${conflict.remote?.value}+${conflict.local?.value}`)),
    );
    await b.sync();
    await expectAllEqual([a, b, c], { k: "from-a+from-b", untouched: "same", "new-on-b": "fine" });
  });

  it("keeps an unresolved conflict pending, reports it again, and resolves it later", async () => {
    const { a, b, c } = await conflicted();
    const reports: string[][] = [];
    b.on("conflict", (event) => reports.push(event.conflicts.map((conflict) => conflict.key)));
    await expect(b.sync()).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(b.sync()).rejects.toMatchObject({ code: "CONFLICT" });
    expect(reports).toEqual([["k"], ["k"]]);
    // The non-conflicting write went through meanwhile.
    await a.sync();
    expect(await a.dataset("d").get("new-on-b")).toBe("fine");
    expect(await b.dataset("d").get("k")).toBe("from-b");
    b.dataset("d").onConflict((conflicts) => conflicts.forEach((conflict) => conflict.useRemote()));
    await expectAllEqual([a, b, c], { k: "from-a", untouched: "same", "new-on-b": "fine" });
  });

  it("learns the strategy from the server on a device that never configured it", async () => {
    const { c } = await conflicted();
    await c.dataset("d").put("k", "from-c");
    const reports: unknown[] = [];
    c.on("conflict", (event) => reports.push(event));
    await expect(c.sync()).rejects.toMatchObject({ code: "CONFLICT" });
    expect(reports).toHaveLength(1);
  });
});
