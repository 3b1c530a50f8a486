/**
 * The `signedIn` event, which the React bindings use to drop a previous identity's values: it
 * fires after every sign-in, when `identityId` and watchers already follow the new identity.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

describe("the signedIn event", () => {
  it("fires on each sign-in with the identity that client.identityId already reports", async () => {
    const client = memoryClient(new MemoryServer());
    clients.push(client);
    const seen: Array<{ payload: string; current: string | null }> = [];
    client.on("signedIn", ({ identityId }) => seen.push({ payload: identityId, current: client.identityId }));

    const first = await client.signIn();
    await client.signOut();
    const second = await client.signIn();

    expect(seen).toEqual([
      { payload: first.identityId, current: first.identityId },
      { payload: second.identityId, current: second.identityId },
    ]);
  });
});
