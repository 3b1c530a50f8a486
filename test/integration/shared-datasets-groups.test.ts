/**
 * Group members through the admin API (`schema/admin-type-defs.ts`): an admin adds identities of
 * a pool to a group, lists and removes them; bad names, foreign identities and non-admin callers
 * are refused with stable codes. Shared datasets' `group:` rules read these memberships.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startInProcessServer, type GqlResponse, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-group-members-0123456789";
const ADD = `mutation ($group: String!, $id: String!) { addGroupMember(identityPoolId: "default", group: $group, identityId: $id) }`;
const REMOVE = `mutation ($group: String!, $id: String!) { removeGroupMember(identityPoolId: "default", group: $group, identityId: $id) }`;
const MEMBERS = `query ($group: String!) { groupMembers(identityPoolId: "default", group: $group) }`;

const codeOf = (response: GqlResponse) => response.errors?.[0]?.extensions?.["code"];

describe("group members through the admin API", () => {
  let server: InProcessServer;
  const admin = (query: string, variables: Record<string, unknown> = {}) => server.gql(query, variables, ADMIN_TOKEN);

  beforeAll(async () => {
    const pools = [poolSettingsSchema.parse({ id: "default" }), poolSettingsSchema.parse({ id: "other" })];
    server = await startInProcessServer({ config: { pools, adminToken: ADMIN_TOKEN } });
  });
  afterAll(async () => server?.close());

  it("adds identities to a group once, lists them in order and removes them", async () => {
    const [first, second] = [await server.signInGuest(), await server.signInGuest()];
    expect((await admin(ADD, { group: "family-42", id: first.identityId })).data.addGroupMember).toBe(true);
    expect((await admin(ADD, { group: "family-42", id: first.identityId })).data.addGroupMember).toBe(false);
    expect((await admin(ADD, { group: "family-42", id: second.identityId })).data.addGroupMember).toBe(true);
    expect((await admin(MEMBERS, { group: "family-42" })).data.groupMembers).toEqual([first.identityId, second.identityId].sort());
    expect((await admin(REMOVE, { group: "family-42", id: first.identityId })).data.removeGroupMember).toBe(true);
    expect((await admin(REMOVE, { group: "family-42", id: first.identityId })).data.removeGroupMember).toBe(false);
    expect((await admin(MEMBERS, { group: "family-42" })).data.groupMembers).toEqual([second.identityId]);
  });

  it("refuses a bad group name, an unknown identity and one of another pool", async () => {
    const guest = await server.signInGuest();
    expect(codeOf(await admin(ADD, { group: "no spaces", id: guest.identityId }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await admin(MEMBERS, { group: "" }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await admin(ADD, { group: "g", id: "local:00000000-0000-4000-8000-000000000000" }))).toBe("NOT_FOUND");
    const foreign = await server.gql(
      `mutation ($id: String!) { addGroupMember(identityPoolId: "other", group: "g", identityId: $id) }`,
      { id: guest.identityId },
      ADMIN_TOKEN,
    );
    expect(codeOf(foreign)).toBe("NOT_FOUND");
  });

  it("refuses group calls with an identity token or none, and changes nothing", async () => {
    const guest = await server.signInGuest();
    for (const token of [guest.token, undefined]) {
      expect(codeOf(await server.gql(ADD, { group: "sneaky", id: guest.identityId }, token))).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
      expect(codeOf(await server.gql(MEMBERS, { group: "sneaky" }, token))).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
    }
    expect((await admin(MEMBERS, { group: "sneaky" })).data.groupMembers).toEqual([]);
  });
});
