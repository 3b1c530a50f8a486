/**
 * Shared-dataset rules: which entry a dataset name selects, the owner id its rows live under, and
 * which principals may read or write it, variables included; and the settings' validation naming
 * the field at fault.
 */
import { describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { isSharedOwnerId, resolveSharedAccess, type SharedSubject } from "../../server/identity/shared-access.js";
import { sharedDatasetsSchema } from "../../server/identity/shared-datasets.js";

const entries = sharedDatasetsSchema.parse([
  { name: "board", owner: "pool", read: ["any"], write: ["authenticated"] },
  { name: "family-*", owner: "group:${tag:family}", read: ["group:${tag:family}"], write: ["group:${tag:family}", "role:admin"] },
  { name: "guestbook", read: ["guest"], write: [] },
]);

function subject(overrides: Partial<SharedSubject> = {}): SharedSubject {
  return { identityId: "local:a", poolId: "p1", role: "member", tags: { family: "42" }, guest: false, groups: ["42"], ...overrides };
}

describe("shared dataset access", () => {
  it("stores a pool-owned dataset under the pool's owner id and lets the named principals in", () => {
    expect(resolveSharedAccess(entries, subject(), "board")).toMatchObject({ ownerId: "_shared:p1", canRead: true, canWrite: true });
    expect(resolveSharedAccess(entries, subject({ guest: true }), "board")).toMatchObject({ canRead: true, canWrite: false });
  });

  it("stores a group-owned dataset under the group named by the subject's tag", () => {
    expect(resolveSharedAccess(entries, subject(), "family-photos")).toMatchObject({ ownerId: "_group:p1:42", canRead: true, canWrite: true });
  });

  it("refuses an identity outside the group both reading and writing", () => {
    const outsider = subject({ identityId: "local:c", groups: ["7"] });
    expect(resolveSharedAccess(entries, outsider, "family-photos")).toMatchObject({ canRead: false, canWrite: false });
  });

  it("names no owner when the owner's variable has no value", () => {
    expect(resolveSharedAccess(entries, subject({ tags: {} }), "family-photos")).toBeNull();
  });

  it("lets a role write without reading when only write names it", () => {
    const admin = subject({ role: "admin", groups: [] });
    expect(resolveSharedAccess(entries, admin, "family-photos")).toMatchObject({ canRead: false, canWrite: true });
  });

  it("admits guests only where guest is named", () => {
    expect(resolveSharedAccess(entries, subject({ guest: true }), "guestbook")).toMatchObject({ canRead: true, canWrite: false });
    expect(resolveSharedAccess(entries, subject(), "guestbook")).toMatchObject({ canRead: false });
  });

  it("returns null for a dataset no entry matches, so it stays an own dataset", () => {
    expect(resolveSharedAccess(entries, subject(), "notes")).toBeNull();
  });

  it("keeps shared owner ids apart from identity ids", () => {
    expect(isSharedOwnerId("_shared:p1")).toBe(true);
    expect(isSharedOwnerId("_group:p1:42")).toBe(true);
    expect(isSharedOwnerId("local:0f8fad5b-d9cb-469f-a165-70867728950e")).toBe(false);
  });
});

describe("shared dataset settings", () => {
  it("defaults to a pool owner and own-dataset limits", () => {
    expect(sharedDatasetsSchema.parse([{ name: "board" }])).toEqual([
      { name: "board", owner: "pool", read: [], write: [], maxRecords: 1024, maxBytes: 1_048_576 },
    ]);
  });

  it("names the field at fault", () => {
    const cases: Array<[unknown, Array<string | number>]> = [
      [{ name: "board", read: ["everyone"] }, ["sharedDatasets", 0, "read", 0]],
      [{ name: "board", owner: "identity" }, ["sharedDatasets", 0, "owner"]],
      [{ name: "board", maxRecords: 100_001 }, ["sharedDatasets", 0, "maxRecords"]],
      [{ name: "board", maxBytes: 67_108_865 }, ["sharedDatasets", 0, "maxBytes"]],
      [{ name: "bad name" }, ["sharedDatasets", 0, "name"]],
      [{ name: "board", extra: 1 }, ["sharedDatasets", 0]],
    ];
    for (const [entry, path] of cases) {
      const result = poolSettingsSchema.safeParse({ id: "p1", sharedDatasets: [entry] });
      expect(result.success, JSON.stringify(entry)).toBe(false);
      expect(result.error!.issues[0]!.path, JSON.stringify(entry)).toEqual(path);
    }
  });

  it("accepts the largest limits and refuses a name written twice", () => {
    expect(sharedDatasetsSchema.parse([{ name: "big", maxRecords: 100_000, maxBytes: 67_108_864 }])[0]).toMatchObject({ maxRecords: 100_000 });
    const twice = sharedDatasetsSchema.safeParse([{ name: "board" }, { name: "board" }]);
    expect(twice.error?.issues[0]?.path).toEqual([1, "name"]);
  });
});
