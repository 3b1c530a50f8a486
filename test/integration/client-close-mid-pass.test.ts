/**
 * `close()` (or `signOut()`) while a sync pass runs ends that pass on a closed
 * database. Those failures are the client's own doing, not the app's concern: no `syncError`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientEvents } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";
import { sentOperationName } from "../helpers/sent-operation.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

/** Event-loop turns (not time) for the rest of a pass to fail on the closed database. */
async function eventLoopTurns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** A fetch that holds the first pull of dataset `held` until `release()`. */
function holdingFirstPull(fetchFn: (url: string, init: RequestInit) => Promise<Response>, held: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding = false;
  let answered = false;
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const body = String(init.body);
    if (!holding && sentOperationName(body) === "Records" && body.includes(`"dataset":"${held}"`)) {
      holding = true;
      await released;
      const response = await fetchFn(url, init);
      answered = true;
      return response;
    }
    return fetchFn(url, init);
  };
  return { fetch, release, isHolding: () => holding, wasAnswered: () => answered };
}

describe("closing during a sync pass", () => {
  for (const how of ["close", "signOut"] as const) {
    it(`reports no syncError for the datasets the pass could not finish (${how})`, async () => {
      const link = net.device(`mid-pass-${how}`);
      const hold = holdingFirstPull(link.fetch, "a");
      const client = link.client({ fetch: hold.fetch });
      await client.signIn();
      for (const name of ["a", "b", "c"]) await client.dataset(name).put("k", name);
      const errors: ClientEvents["syncError"][] = [];
      client.on("syncError", (event) => errors.push(event));

      const pass = client.sync();
      pass.catch(() => undefined);
      await expect.poll(hold.isHolding).toBe(true);
      if (how === "close") await client.close();
      else await client.signOut();
      hold.release();
      await expect.poll(hold.wasAnswered).toBe(true);
      await expect(pass).rejects.toThrow();
      await eventLoopTurns(50);
      expect(errors).toEqual([]);
    });
  }
});
