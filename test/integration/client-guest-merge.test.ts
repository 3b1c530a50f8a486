/**
 * A guest that signs in with a login that already has an identity is merged into it (server
 * issue 6). The client pushes the guest's pending writes first, so writes made offline as a guest
 * survive the sign-in, switches to the identity's database, and says so (`datasetsMerged`).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ClientEvents } from "../../client/index.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { TestNetwork } from "../helpers/client-network.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";

let idp: TestIdentityProvider;
let net: TestNetwork;
beforeAll(async () => {
  idp = await startTestIdentityProvider();
  const pools = [{ id: "app", providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] }] }];
  net = await TestNetwork.start({ config: { pools: pools.map((pool) => poolSettingsSchema.parse(pool)), outbound: { allowPrivateAddresses: true } } }) // the test identity provider listens on loopback;
});
afterAll(async () => {
  await net?.close();
  await idp?.close();
});

const alice = async () => [{ provider: "test-idp", token: await idp.token({ sub: "alice" }) }];

// Two devices with their own IndexedDB, an identity provider and several syncs through a real
// server: over a second on an idle machine on PostgreSQL, past vitest's 5 s on a busy one.
it("keeps a guest's offline writes when it signs in with a login that has an identity", { timeout: 30_000 }, async () => {
  // Alice already has an identity, with notes, from her laptop.
  const laptop = net.device("laptop").client({ identityPoolId: "app" });
  const target = await laptop.signIn({ logins: await alice() });
  await laptop.dataset("notes").put("from-laptop", "L");
  await laptop.sync();

  // On her phone she starts as a guest, syncs once, then writes offline.
  const phoneLink = net.device("phone");
  const phone = phoneLink.client({ identityPoolId: "app" });
  const guest = await phone.signIn();
  await phone.dataset("notes").put("synced-as-guest", "1");
  await phone.sync();
  phoneLink.offline = true;
  await phone.dataset("notes").put("offline-as-guest", "2");
  await phone.dataset("todo").put("buy", "milk");
  phoneLink.offline = false;

  const merged: Array<ClientEvents["datasetsMerged"]> = [];
  phone.on("datasetsMerged", (event) => merged.push(event));
  const result = await phone.signIn({ logins: await alice() });
  expect(result.identityId).toBe(target.identityId);
  expect(result.mergedIdentityIds).toEqual([guest.identityId]);
  expect(phone.identityId).toBe(target.identityId);
  expect(merged.map((event) => event.dataset).sort()).toEqual(["notes", "todo"]);
  expect(merged[0]?.mergedIdentityIds).toEqual([guest.identityId]);
  // The guest's copy is gone from the phone: everything is in Alice's database now.
  expect((await phoneLink.indexedDB.databases()).map((db) => db.name)).not.toContain(`syncpool:${guest.identityId}`);

  await phone.sync();
  expect(await phone.dataset("notes").getAll()).toEqual({ "from-laptop": "L", "synced-as-guest": "1", "offline-as-guest": "2" });
  expect(await phone.dataset("todo").getAll()).toEqual({ buy: "milk" });
  await laptop.sync();
  expect(await laptop.dataset("notes").getAll()).toEqual({ "from-laptop": "L", "synced-as-guest": "1", "offline-as-guest": "2" });
  expect(await laptop.dataset("todo").get("buy")).toBe("milk");

  // The merged guest's credentials no longer sign in anywhere; the server says where it went.
  const other = net.device("tablet").client({ identityPoolId: "app" });
  await expect(other.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string })).rejects.toMatchObject({
    code: "UNAUTHENTICATED",
    details: { reason: "IDENTITY_MERGED", mergedInto: target.identityId },
  });
  // And the phone forgot them: after signing out, a sign-in without a login is a new guest (neither
  // the dead guest nor Alice, whose login signOut forgets), and Alice's login brings her back.
  await phone.signOut();
  const next = await phone.signIn();
  expect([guest.identityId, target.identityId]).not.toContain(next.identityId);
  expect((await phone.signIn({ logins: await alice() })).identityId).toBe(target.identityId);
});
