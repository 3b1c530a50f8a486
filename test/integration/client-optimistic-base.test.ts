/**
 * An OPTIMISTIC conflict carries the base: the record as the device last synced it before its
 * write, so a handler can merge three ways (keep what each side added or removed since).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conflict, SyncClient } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

const tags = (value: string | null | undefined): string[] => (value ? value.split(",") : []);

/** Tags in `base` both sides kept, plus what either side added since. */
function mergeTags(conflict: Conflict): string {
  const base = tags(conflict.base?.value);
  const local = tags(conflict.local?.value);
  const remote = tags(conflict.remote?.value);
  const kept = base.filter((tag) => local.includes(tag) && remote.includes(tag));
  const added = [...local, ...remote].filter((tag) => !base.includes(tag));
  return [...new Set([...kept, ...added])].sort().join(",");
}

describe("an OPTIMISTIC conflict's base", () => {
  it("lets a handler merge three ways: each side's additions and removals survive", async () => {
    const seen: Conflict[] = [];
    const a = net.device("base-a").client();
    const guest = await a.signIn();
    const b = net.device("base-b").client({
      onConflict: (conflicts) => {
        for (const conflict of conflicts) {
          seen.push(conflict);
          conflict.useValue(mergeTags(conflict));
        }
      },
    });
    await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
    await a.dataset("tags").configure({ conflictStrategy: "OPTIMISTIC" });
    await a.dataset("tags").put("post", "draft,news");
    await a.sync();
    await b.sync();

    await a.dataset("tags").put("post", "news,sport"); // removes draft, adds sport
    await a.sync();
    await b.dataset("tags").put("post", "draft,news,urgent"); // adds urgent
    await b.dataset("tags").put("post", "draft,news,urgent,video"); // and video, still one base
    await b.sync();
    await a.sync();

    expect(seen.map((conflict) => [conflict.base?.value, conflict.local?.value, conflict.remote?.value])).toEqual([
      ["draft,news", "draft,news,urgent,video", "news,sport"],
    ]);
    expect(await b.dataset("tags").get("post")).toBe("news,sport,urgent,video");
    expect(await a.dataset("tags").get("post")).toBe("news,sport,urgent,video");
  });

  it("is null for a key the server did not have", async () => {
    const seen: Conflict[] = [];
    const a = net.device("base-new-a").client();
    const guest = await a.signIn();
    const b = net.device("base-new-b").client({
      onConflict: (conflicts) => {
        for (const conflict of conflicts) {
          seen.push(conflict);
          conflict.useRemote();
        }
      },
    });
    await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
    await a.dataset("tags").configure({ conflictStrategy: "OPTIMISTIC" });
    await a.dataset("tags").put("seed", "x");
    await a.sync();
    await b.sync();
    await a.dataset("tags").put("post", "from-a");
    await a.sync();
    await b.dataset("tags").put("post", "from-b");
    await b.sync();
    expect(seen.map((conflict) => [conflict.base, conflict.remote?.value])).toEqual([[null, "from-a"]]);
  });
});
