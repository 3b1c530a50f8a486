import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { DeviceStore } from "../../client/store/device-db.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

/** Everything the device database holds, as an attacker with the disk would read it. */
async function deviceState(indexedDB: IDBFactory) {
  const store = new DeviceStore("default", { indexedDB, IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange });
  try {
    return await store.update((state) => state);
  } finally {
    store.close();
  }
}

describe("the guest's device secret leaves the device when it is no longer needed", () => {
  it("is dropped on the upgrade: the first sign-in with a login", async () => {
    const indexedDB = new IDBFactory();
    const server = new MemoryServer();
    const client = memoryClient(server, { indexedDB });
    clients.push(client);
    const guest = await client.signIn();
    expect(guest.deviceSecret).toEqual(expect.any(String));
    expect(JSON.stringify(await deviceState(indexedDB))).toContain(guest.deviceSecret as string);

    const upgraded = await client.signIn({ logins: [{ provider: "accounts.example.com", token: "id-token" }] });
    expect(upgraded.identityId).toBe(guest.identityId);
    expect(upgraded.deviceSecret).toBeNull();
    const state = await deviceState(indexedDB);
    expect(state.guest).toBeNull();
    expect(JSON.stringify(state)).not.toContain(guest.deviceSecret as string);

    await client.signOut();
    expect(JSON.stringify(await deviceState(indexedDB))).not.toContain(guest.deviceSecret as string);
  });

  it("is dropped when a guest signs out with a wipe, and kept (its only way back) without one", async () => {
    const indexedDB = new IDBFactory();
    const client = memoryClient(new MemoryServer(), { indexedDB });
    clients.push(client);
    const guest = await client.signIn();
    await client.signOut();
    expect((await deviceState(indexedDB)).guest?.deviceSecret).toBe(guest.deviceSecret);
    await client.signIn();
    await client.signOut({ wipe: true });
    expect(JSON.stringify(await deviceState(indexedDB))).not.toContain(guest.deviceSecret as string);
  });
});
