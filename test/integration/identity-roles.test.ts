/**
 * Roles at the boundary: a table of (who, operation, dataset) -> allowed or FORBIDDEN, over every
 * data operation, for guests, rule-mapped logins and principal tags. A denied call changes
 * nothing. A pool without roles keeps today's behaviour (the other suites prove it).
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { GraphQLFailure, syncApi, type SyncApi } from "../helpers/sync-api.js";

type Who = "guest" | "reader" | "editor" | "blueTeam";
type Operation = "records" | "dataset" | "datasets" | "push" | "pushRemove" | "configure" | "delete" | "usage";

describe("roles and rules over every operation", () => {
  let idp: TestIdentityProvider;
  let server: InProcessServer;
  const sessions = {} as Record<Who, { identityId: string; token: string; api: SyncApi }>;

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    const pools = [
      {
        id: "governed",
        providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] }],
        roles: {
          guest: { policies: [{ effect: "allow", actions: ["read", "write"], datasets: ["scratch"] }] },
          reader: {
            policies: [
              { effect: "allow", actions: ["read"], datasets: ["*"] },
              { effect: "deny", actions: ["read"], datasets: ["secret-*"] },
            ],
          },
          editor: {
            policies: [
              { effect: "allow", actions: ["read", "write", "delete", "configure"], datasets: ["*"] },
              { effect: "deny", actions: ["delete"], datasets: ["audit"] },
            ],
          },
          team: {
            policies: [
              { effect: "allow", actions: ["read", "write", "configure"], datasets: ["team-${tag:team}"] },
              { effect: "allow", actions: ["read"], datasets: ["scratch"] },
            ],
          },
        },
        guestRole: "guest",
        authenticatedRole: "reader",
        roleMappings: {
          "test-idp": {
            type: "rules",
            rules: [
              { claim: "groups", matchType: "Contains", value: "editors", role: "editor" },
              { claim: "dept", matchType: "Equals", value: "eng", role: "team" },
            ],
            ambiguousRoleResolution: "AUTHENTICATED_ROLE",
          },
        },
        principalTags: { team: "team" },
      },
    ].map((pool) => poolSettingsSchema.parse(pool));
    server = await startInProcessServer({ config: { pools, outbound: { allowPrivateAddresses: true } } }) // the identity provider is on loopback;

    const signIn = async (logins?: Array<{ provider: string; token: string }>) => {
      const { data, errors } = await server.gql(
        `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token } }`,
        { input: { identityPoolId: "governed", ...(logins ? { logins } : {}) } },
      );
      if (!data?.signIn) throw new Error(JSON.stringify(errors));
      return { ...data.signIn, api: syncApi(server, data.signIn.token) };
    };
    const login = async (sub: string, claims: Record<string, unknown>) => [{ provider: "test-idp", token: await idp.token({ sub, claims }) }];
    sessions.guest = await signIn();
    sessions.reader = await signIn(await login("rita", {}));
    sessions.editor = await signIn(await login("eddie", { groups: ["staff", "editors"] }));
    sessions.blueTeam = await signIn(await login("bea", { dept: "eng", team: "blue" }));
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  it("issues each sign-in the role its rules choose, with its principal tags", () => {
    const claims = (who: Who) => decodeJwt(sessions[who].token);
    expect(claims("guest")).toMatchObject({ role: "guest", amr: ["unauthenticated"] });
    expect(claims("reader")).toMatchObject({ role: "reader", amr: ["authenticated"] });
    expect(claims("editor")).toMatchObject({ role: "editor" });
    expect(claims("blueTeam")).toMatchObject({ role: "team", tags: { team: "blue" } });
  });

  const run = (api: SyncApi, operation: Operation, dataset: string): Promise<unknown> => {
    switch (operation) {
      case "records":
        return api.page(dataset);
      case "dataset":
        return api.dataset(dataset);
      case "datasets":
        return api.datasets();
      case "push":
        return api.push({ dataset, patches: [{ op: "REPLACE", key: "k", value: "v" }] });
      case "pushRemove":
        return api.push({ dataset, patches: [{ op: "REPLACE", key: "a", value: "v" }, { op: "REMOVE", key: "k" }] });
      case "configure":
        return api.configure(dataset, "CRDT");
      case "delete":
        return api.remove(dataset);
      case "usage":
        return api.usage();
    }
  };

  const table: Array<[Who, Operation, string, boolean]> = [
    // Guests: read and write their scratch dataset only.
    ["guest", "records", "scratch", true],
    ["guest", "push", "scratch", true],
    ["guest", "pushRemove", "scratch", false],
    ["guest", "records", "notes", false],
    ["guest", "dataset", "notes", false],
    ["guest", "push", "notes", false],
    ["guest", "configure", "scratch", false],
    ["guest", "delete", "scratch", false],
    ["guest", "usage", "-", true],
    // No rule matched: the authenticated role reads everything but secrets, writes nothing.
    ["reader", "records", "notes", true],
    ["reader", "dataset", "notes", true],
    ["reader", "records", "secret-plans", false],
    ["reader", "dataset", "secret-plans", false],
    ["reader", "push", "notes", false],
    ["reader", "configure", "notes", false],
    ["reader", "delete", "notes", false],
    // Rule on a groups claim: everything, but the audit dataset is never deleted (deny wins).
    ["editor", "push", "audit", true],
    ["editor", "pushRemove", "notes", true],
    ["editor", "configure", "notes", true],
    ["editor", "delete", "notes", true],
    ["editor", "delete", "audit", false],
    ["editor", "records", "secret-plans", true],
    // Principal tag in a pattern: only the team's own dataset.
    ["blueTeam", "push", "team-blue", true],
    ["blueTeam", "configure", "team-blue", true],
    ["blueTeam", "records", "team-blue", true],
    ["blueTeam", "push", "team-red", false],
    ["blueTeam", "records", "team-red", false],
    ["blueTeam", "pushRemove", "team-blue", false],
    ["blueTeam", "delete", "team-blue", false],
    ["blueTeam", "records", "scratch", true],
    ["blueTeam", "push", "scratch", false],
  ];

  it.each(table)("%s %s %s -> allowed: %s", async (who, operation, dataset, allowed) => {
    const { identityId, api } = sessions[who];
    const before = await server.storage.datasets.listDatasets(identityId);
    const outcome = await run(api, operation, dataset).then(
      () => "allowed",
      (error: unknown) => (error instanceof GraphQLFailure ? error.code : error),
    );
    if (allowed) {
      expect(outcome).toBe("allowed");
    } else {
      expect(outcome).toBe("FORBIDDEN");
      expect(await server.storage.datasets.listDatasets(identityId)).toEqual(before);
    }
  });

  it("lists only the datasets the caller may read", async () => {
    await sessions.editor.api.push({ dataset: "secret-diary", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    await sessions.editor.api.push({ dataset: "team-red", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    const names = (await sessions.editor.api.datasets()).map((dataset) => dataset.name);
    expect(names).toContain("secret-diary");

    await sessions.blueTeam.api.push({ dataset: "team-blue", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    await server.storage.datasets.writeDataset(sessions.blueTeam.identityId, "hidden", async (tx) => {
      await tx.saveDataset({
        identityId: sessions.blueTeam.identityId,
        name: "hidden",
        syncCount: 0,
        recordCount: 0,
        sizeBytes: 0,
        conflictStrategy: "CRDT",
        createdAt: 1,
        lastModifiedAt: 1,
        lastModifiedBy: null,
        deleted: false,
        deletedAtSyncCount: null,
      });
    });
    expect((await sessions.blueTeam.api.datasets()).map((dataset) => dataset.name)).toEqual(["team-blue"]);
  });
});
