/**
 * Guest merge and upgrade: data a guest wrote offline (with its own clocks) survives signing in
 * with a login, with the exact merged values; a merge that would break a limit changes nothing.
 */
import { formatClock } from "../../core/clock.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Patch, SyncRecord } from "../../core/types.js";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret mergedIdentityIds } }`;

interface Session {
  identityId: string;
  token: string;
  deviceSecret: string | null;
  mergedIdentityIds: string[];
}

describe("guest merge", () => {
  let idp: TestIdentityProvider;
  let server: InProcessServer;
  const startMs = Date.now();
  const now = () => startMs;
  /** A clock `offsetMs` from the start, written by `device` (offline devices write in the past). */
  const at = (offsetMs: number, device: string) => formatClock({ wallMs: startMs - 600_000 + offsetMs, counter: 0, deviceId: device });

  const call = async (input: Record<string, unknown>) => server.gql<{ signIn: Session }>(SIGN_IN, { input });
  const signIn = async (input: Record<string, unknown>): Promise<Session> => {
    const { data, errors } = await call(input);
    if (!data?.signIn) throw new Error(JSON.stringify(errors));
    return data.signIn;
  };
  const guest = (pool = "app") => signIn({ identityPoolId: pool });
  const login = async (sub: string) => [{ provider: "test-idp", token: await idp.token({ sub }) }];
  const put = (key: string, value: string, clock: string): Patch => ({ op: "REPLACE", key, value, clock });
  const remove = (key: string, clock: string): Patch => ({ op: "REMOVE", key, clock });
  const push = (session: Session, dataset: string, device: string, patches: Patch[]) =>
    syncApi(server, session.token).push({ dataset, deviceId: device, patches });
  const pull = (session: Session, dataset: string, since = 0) => syncApi(server, session.token).pullAll(dataset, since);
  const byKey = (records: SyncRecord[]) =>
    Object.fromEntries(records.map((record) => [record.key, { value: record.value, clock: record.clock, deleted: record.deleted }]));

  beforeAll(async () => {
    idp = await startTestIdentityProvider({ now });
    const provider = { name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] };
    const pools = [
      { id: "app", providers: [provider] },
      { id: "small", providers: [provider], limits: { maxRecords: 3, maxDatasets: 2 } },
    ].map((pool) => poolSettingsSchema.parse(pool));
    server = await startInProcessServer({ config: { pools, outbound: { allowPrivateAddresses: true } }, now }) // the identity provider is on loopback;
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  it("upgrades a guest in place when the login is new: same id, data kept exactly", async () => {
    const phone = await guest();
    await push(phone, "settings", "phone", [put("theme", "dark", at(1000, "phone")), put("font", "big", at(2000, "phone"))]);
    await push(phone, "settings", "phone", [remove("font", at(3000, "phone"))]);
    const before = await pull(phone, "settings");

    const upgraded = await signIn({ identityPoolId: "app", identityId: phone.identityId, deviceSecret: phone.deviceSecret, logins: await login("upgrader") });
    expect(upgraded).toMatchObject({ identityId: phone.identityId, mergedIdentityIds: [], deviceSecret: null });
    const after = await pull(upgraded, "settings");
    expect(after.records).toEqual(before.records);
    expect(after.datasetSyncCount).toBe(2);
    expect(byKey(after.records)).toEqual({
      theme: { value: "dark", clock: at(1000, "phone"), deleted: false },
      font: { value: null, clock: at(3000, "phone"), deleted: true },
    });
    // The same login reaches it from any device now, and the secret, cleared by the upgrade, no longer signs it in.
    expect((await signIn({ identityPoolId: "app", logins: await login("upgrader") })).identityId).toBe(phone.identityId);
    const secretOnly = await call({ identityPoolId: "app", identityId: phone.identityId, deviceSecret: phone.deviceSecret });
    expect(secretOnly.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await server.storage.identities.getIdentityStatus(phone.identityId)).toMatchObject({ hasSecret: false });
  });

  it("merges a guest into the login's identity record by record, by clock, and disables the guest", async () => {
    const laptop = await signIn({ identityPoolId: "app", logins: await login("merger") });
    await push(laptop, "settings", "laptop", [
      put("theme", "light", at(1000, "laptop")),
      put("lang", "en", at(3000, "laptop")),
      put("volume", "7", at(1000, "laptop")),
    ]);
    const targetBefore = await pull(laptop, "settings");

    // A phone, offline and signed in as a guest, wrote in the meantime.
    const phone = await guest();
    await push(phone, "settings", "phone", [
      put("theme", "dark", at(2000, "phone")), // newer than the laptop's: wins
      put("lang", "fr", at(500, "phone")), // older: loses
      put("font", "big", at(1500, "phone")), // only the guest has it
      remove("volume", at(4000, "phone")), // a newer delete wins over the laptop's value
    ]);
    await push(phone, "favorites", "phone", [put("a", "1", at(100, "phone"))]);

    const merged = await signIn({ identityPoolId: "app", identityId: phone.identityId, deviceSecret: phone.deviceSecret, logins: await login("merger") });
    expect(merged).toMatchObject({ identityId: laptop.identityId, mergedIdentityIds: [phone.identityId] });

    const settings = await pull(merged, "settings");
    expect(byKey(settings.records)).toEqual({
      theme: { value: "dark", clock: at(2000, "phone"), deleted: false },
      lang: { value: "en", clock: at(3000, "laptop"), deleted: false },
      volume: { value: null, clock: at(4000, "phone"), deleted: true },
      font: { value: "big", clock: at(1500, "phone"), deleted: false },
    });
    // One merge is one change: the count moves by one and stamps exactly the records it changed.
    expect(settings.datasetSyncCount).toBe(targetBefore.datasetSyncCount + 1);
    const delta = await pull(merged, "settings", targetBefore.datasetSyncCount);
    expect(delta.records.map((record) => record.key).sort()).toEqual(["font", "theme", "volume"]);
    expect(delta.mergedDatasetNames).toEqual([]);
    expect(byKey((await pull(merged, "favorites")).records)).toEqual({ a: { value: "1", clock: at(100, "phone"), deleted: false } });

    // The guest is disabled and answers with the target's id from then on.
    const oldToken = await syncApi(server, phone.token).usage().catch((error: { extensions: unknown }) => error.extensions);
    expect(oldToken).toMatchObject({ code: "UNAUTHENTICATED", reason: "IDENTITY_MERGED", mergedInto: laptop.identityId });
    const secretOnly = await call({ identityPoolId: "app", identityId: phone.identityId, deviceSecret: phone.deviceSecret });
    expect(secretOnly.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "IDENTITY_MERGED", mergedInto: laptop.identityId });
    const again = await signIn({ identityPoolId: "app", identityId: phone.identityId, deviceSecret: phone.deviceSecret, logins: await login("merger") });
    expect(again).toMatchObject({ identityId: laptop.identityId, mergedIdentityIds: [] });
    expect(await server.storage.identities.getIdentityStatus(phone.identityId)).toMatchObject({ mergedInto: laptop.identityId, disabledAt: expect.any(Number) });
  });

  it("moves the guest's group memberships to the login's identity, keeping one where both were members", async () => {
    const owner = await signIn({ identityPoolId: "app", logins: await login("grouped") });
    const phone = await guest();
    await server.storage.groups.addGroupMember("app", "family-42", phone.identityId, startMs);
    await server.storage.groups.addGroupMember("app", "chess", phone.identityId, startMs);
    await server.storage.groups.addGroupMember("app", "chess", owner.identityId, startMs);
    const merged = await signIn({ identityPoolId: "app", identityId: phone.identityId, deviceSecret: phone.deviceSecret, logins: await login("grouped") });
    expect(merged.mergedIdentityIds).toEqual([phone.identityId]);
    expect(await server.storage.groups.listIdentityGroups("app", owner.identityId)).toEqual(["chess", "family-42"]);
    expect(await server.storage.groups.listIdentityGroups("app", phone.identityId)).toEqual([]);
  });

  it("keeps an OPTIMISTIC target's records and puts the guest's differing ones in a conflict copy", async () => {
    const laptop = await signIn({ identityPoolId: "app", logins: await login("optimist") });
    const laptopApi = syncApi(server, laptop.token);
    await laptopApi.configure("profile", "OPTIMISTIC");
    await push(laptop, "profile", "laptop", [{ ...put("name", "Ann", at(1000, "laptop")), syncCount: 0 }, { ...put("born", "1990", at(1000, "laptop")), syncCount: 0 }]);
    const before = await pull(laptop, "profile");

    const phone = await guest();
    await syncApi(server, phone.token).configure("profile", "OPTIMISTIC");
    await push(phone, "profile", "phone", [
      { ...put("name", "Anna", at(5000, "phone")), syncCount: 0 }, // differs: conflict copy, even though newer
      { ...put("born", "1990", at(1000, "laptop")), syncCount: 0 }, // the same state: nothing to report
      { ...put("city", "Oslo", at(2000, "phone")), syncCount: 0 }, // a key the target never had
    ]);

    const merged = await signIn({ identityPoolId: "app", identityId: phone.identityId, deviceSecret: phone.deviceSecret, logins: await login("optimist") });
    const copy = `profile.merged.${phone.identityId}`;
    const profile = await pull(merged, "profile", before.datasetSyncCount);
    expect(profile.mergedDatasetNames).toEqual([copy]);
    expect(profile.conflictStrategy).toBe("OPTIMISTIC");
    expect(byKey((await pull(merged, "profile")).records)).toEqual({
      name: { value: "Ann", clock: at(1000, "laptop"), deleted: false },
      born: { value: "1990", clock: at(1000, "laptop"), deleted: false },
      city: { value: "Oslo", clock: at(2000, "phone"), deleted: false },
    });
    expect(byKey((await pull(merged, copy)).records)).toEqual({ name: { value: "Anna", clock: at(5000, "phone"), deleted: false } });
    // A device that already pulled past the merge is not told again.
    expect((await pull(merged, "profile", profile.datasetSyncCount)).mergedDatasetNames).toEqual([]);
  });

  describe("within the target's limits", () => {
    it("refuses a merge that would put too many records in a dataset, changing nothing", async () => {
      const laptop = await signIn({ identityPoolId: "small", logins: await login("full-records") });
      await push(laptop, "settings", "laptop", [put("a", "1", at(1000, "laptop")), put("b", "2", at(1000, "laptop"))]);
      const phone = await guest("small");
      await push(phone, "settings", "phone", [put("c", "3", at(1000, "phone")), put("d", "4", at(1000, "phone"))]);
      await expectRefusedWithoutChange(laptop, phone, "full-records", "maxRecords");
    });

    it("refuses a merge that would give the target too many datasets, changing nothing", async () => {
      const laptop = await signIn({ identityPoolId: "small", logins: await login("full-datasets") });
      await push(laptop, "one", "laptop", [put("a", "1", at(1000, "laptop"))]);
      await push(laptop, "two", "laptop", [put("a", "1", at(1000, "laptop"))]);
      const phone = await guest("small");
      await push(phone, "three", "phone", [put("a", "1", at(1000, "phone"))]);
      await expectRefusedWithoutChange(laptop, phone, "full-datasets", "maxDatasets");
    });

    async function expectRefusedWithoutChange(laptop: Session, phone: Session, sub: string, limit: string) {
      const datasetsBefore = await syncApi(server, laptop.token).datasets();
      const loginsBefore = await server.storage.identities.listLogins(laptop.identityId);
      const refused = await call({ identityPoolId: "small", identityId: phone.identityId, deviceSecret: phone.deviceSecret, logins: await login(sub) });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "LIMIT_EXCEEDED", limit });
      expect(await syncApi(server, laptop.token).datasets()).toEqual(datasetsBefore);
      expect(await server.storage.identities.listLogins(laptop.identityId)).toEqual(loginsBefore);
      expect(await server.storage.identities.getIdentityStatus(phone.identityId)).toMatchObject({ disabledAt: null, mergedInto: null });
      // The guest keeps working as before, its data untouched.
      expect((await syncApi(server, phone.token).usage()).identityId).toBe(phone.identityId);
    }
  });

  it("refuses to merge a guest whose secret is wrong, and one named without a secret", async () => {
    await signIn({ identityPoolId: "app", logins: await login("careful") });
    const phone = await guest();
    const other = await guest();
    const wrong = await call({ identityPoolId: "app", identityId: phone.identityId, deviceSecret: other.deviceSecret, logins: await login("careful") });
    expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    const unproven = await call({ identityPoolId: "app", identityId: phone.identityId, logins: await login("careful") });
    expect(unproven.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", field: "deviceSecret" });
    expect(await server.storage.identities.getIdentityStatus(phone.identityId)).toMatchObject({ disabledAt: null });
  });
});
