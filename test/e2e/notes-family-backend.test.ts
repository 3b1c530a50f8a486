/**
 * The notes app's family backend (examples/notes/server/family-service.ts) against a real sync
 * server: it takes family slots one at a time, refuses when every slot is taken, and lets in only
 * callers with a valid identity token of the pool and a code it signed. It calls the server's
 * admin API and key set over HTTP, as the demo does, so the server binds a port (0).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { familyPool } from "../../examples/notes/server/family-pool.js";
import { createFamilyService, type FamilyService } from "../../examples/notes/server/family-service.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-the-family-backend-0123456789";
const SLOTS = 3;

let server: TestServer;
let other: TestServer;
let service: FamilyService;
/** The invite codes the creates answered, by family; the later cases join with them. */
const invites = new Map<string, string>();

beforeAll(async () => {
  const config = { pools: [familyPool("default", SLOTS)], adminToken: ADMIN_TOKEN };
  [server, other] = await Promise.all([startTestServer({ config }), startTestServer({ config })]);
  service = createFamilyService({ syncServerUrl: server.url, adminToken: ADMIN_TOKEN, inviteSecret: "backend-test-secret", slots: SLOTS });
}, 30_000);
afterAll(async () => {
  await Promise.all([server?.close(), other?.close()]);
});

const guestToken = async (on: TestServer = server) => (await on.signInGuest()).token;
const members = async (family: string) =>
  (await server.gql(`query ($group: String!) { groupMembers(identityPoolId: "default", group: $group) }`, { group: family }, ADMIN_TOKEN)).data
    .groupMembers as string[];

describe("notes family backend", () => {
  it("gives concurrent creates distinct families, then refuses with LIMIT_EXCEEDED once every slot is taken", async () => {
    const created = await Promise.all(Array.from({ length: SLOTS }, async () => service.create(await guestToken())));
    expect(created.map((membership) => membership.family).sort()).toEqual(["family-1", "family-2", "family-3"]);
    for (const { family, invite } of created) {
      expect(await members(family)).toHaveLength(1);
      invites.set(family, invite);
    }
    await expect(service.create(await guestToken())).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", status: 409 });
  });

  it("adds a joiner to the family its code names, once however often it joins", async () => {
    const joiner = await server.signInGuest();
    const invite = invites.get("family-2")!;
    expect(await service.join(joiner.token, invite)).toEqual({ family: "family-2", invite });
    await service.join(joiner.token, ` ${invite} `);
    expect((await members("family-2")).filter((id) => id === joiner.identityId)).toHaveLength(1);
    expect(await members("family-2")).toHaveLength(2);
  });

  it("refuses a made-up code, one family's tag on another, a malformed or out-of-range code with BAD_USER_INPUT naming the invite", async () => {
    const token = await guestToken();
    const tag = invites.get("family-1")!.slice("family-1-".length);
    for (const invite of ["family-1-AAAAAAAAAAAAAAAA", `family-2-${tag}`, `family-${SLOTS + 1}-${tag}`, "", 42, undefined]) {
      await expect(service.join(token, invite)).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "invite" });
    }
  });

  it("refuses callers without a token, with a forged one, or with one another server signed", async () => {
    await expect(service.create(null)).rejects.toMatchObject({ code: "UNAUTHENTICATED", status: 401 });
    await expect(service.create("not.a.token")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(service.join(await guestToken(other), invites.get("family-1"))).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
