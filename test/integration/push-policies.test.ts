/**
 * Live subscriptions and device subscriptions obey the pool's dataset policies like pulls do: a
 * role that may not read a dataset neither subscribes to it nor hears of its changes.
 * Binds a port: live subscriptions are graphql-ws clients on a real WebSocket.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { connectWs, subscriptionsReleased, type WsConnection } from "../helpers/push-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

describe("push under dataset policies", () => {
  let server: TestServer;
  let guest: { token: string; api: SyncApi };
  const connections: WsConnection[] = [];
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.dispose()));
    await subscriptionsReleased(server);
  });

  beforeAll(async () => {
    const pools = [
      {
        id: "governed",
        roles: {
          // Guests may read and write "shared", and only drop things into "outbox".
          guest: {
            policies: [
              { effect: "allow", actions: ["read", "write"], datasets: ["shared"] },
              { effect: "allow", actions: ["write"], datasets: ["outbox"] },
            ],
          },
        },
        guestRole: "guest",
        authenticatedRole: "guest",
      },
    ].map((pool) => poolSettingsSchema.parse(pool));
    server = await startTestServer({ config: { pools } });
    const session = await server.signInGuest("governed");
    guest = { token: session.token, api: syncApi(server.graphqlUrl, session.token) };
  });
  afterAll(async () => server?.close());

  it("refuses a subscription to a dataset the role may not read", async () => {
    const connection = connectWs(server, guest.token);
    connections.push(connection);
    const sub = connection.subscribe({ dataset: "outbox" });
    expect(await sub.errors.next()).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "FORBIDDEN", reason: "POLICY_DENIED" }) })]);
  });

  it("tells an all-datasets subscriber only of datasets its role may read", async () => {
    const connection = connectWs(server, guest.token);
    connections.push(connection);
    const everything = connection.subscribe();
    await everything.ready;
    await guest.api.push({ dataset: "outbox", deviceId: "phone", patches: [{ op: "REPLACE", key: "letter", value: "private" }] });
    await guest.api.push({ dataset: "shared", deviceId: "phone", patches: [{ op: "REPLACE", key: "note", value: "public" }] });
    // Heard in commit order: the "outbox" change was committed first, so the first event being the
    // "shared" one shows it was withheld; another "shared" change next shows nothing came between.
    expect(await everything.next()).toMatchObject({ dataset: "shared" });
    await guest.api.push({ dataset: "shared", deviceId: "phone", mutationId: "m-shared-2", patches: [{ op: "REPLACE", key: "note", value: "again" }] });
    expect(await everything.next()).toMatchObject({ dataset: "shared", mutationId: "m-shared-2" });
  });

  it("refuses to subscribe a registered device to a dataset the role may not read", async () => {
    await expect(guest.api.call(`mutation { subscribeToDataset(dataset: "outbox", deviceId: "phone") }`)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
