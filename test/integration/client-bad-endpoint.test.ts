/**
 * A wrong endpoint (a URL the server answers with 404 and no GraphQL) is its own
 * error, `BadEndpointError` (code BAD_ENDPOINT, with the status), reported through `syncError` and
 * not mistaken for being offline: no `offline` event, no retry with backoff. A gateway's 502 page
 * stays a network failure, retried as offline.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadEndpointError, NetworkError, createClient, type ClientEvents } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

/** A client that talks to `endpoint` of the running test server (no background sync). */
function clientAt(path: string, indexedDB = new IDBFactory()) {
  const endpoint = (net.server?.graphqlUrl ?? "").replace(/\/graphql$/, path);
  return createClient({
    endpoint,
    identityPoolId: "default",
    indexedDB,
    IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
    autoSync: false,
    intervalMs: 0,
  });
}

describe("a wrong endpoint", () => {
  it("fails sign-in with BAD_ENDPOINT and the HTTP status, without going offline", async () => {
    const client = clientAt("/graphq");
    const offline: unknown[] = [];
    client.on("offline", () => offline.push("offline"));
    const error = await client.signIn().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadEndpointError);
    expect(error).toMatchObject({ code: "BAD_ENDPOINT", status: 404, retryable: false });
    expect(offline).toEqual([]);
    await client.close();
  });

  it("reports BAD_ENDPOINT through syncError and does not back off as if offline", async () => {
    // The identity exists on this device (signed in before at the right URL); the app now starts
    // with a wrong one, signs in offline-first and syncs.
    const indexedDB = new IDBFactory();
    const good = clientAt("/graphql", indexedDB);
    await good.signIn();
    await good.close();
    const client = clientAt("/nope", indexedDB);
    await client.signIn();
    const errors: ClientEvents["syncError"][] = [];
    const offline: unknown[] = [];
    client.on("syncError", (event) => errors.push(event));
    client.on("offline", () => offline.push("offline"));
    await client.dataset("d").put("k", "v");
    await expect(client.sync()).rejects.toBeInstanceOf(BadEndpointError);
    expect(errors.map((event) => (event.error as BadEndpointError).code)).toEqual(["BAD_ENDPOINT"]);
    expect(offline).toEqual([]);
    expect(client.syncState).toBe("idle");
    await client.close();
  });

  it("keeps a gateway's 502 page a network failure, retried as offline", async () => {
    const link = net.device("gateway");
    const client = link.client({
      fetch: async () => new Response("<html>502 Bad Gateway</html>", { status: 502, headers: { "content-type": "text/html" } }),
    });
    const error = await client.signIn().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ status: 502 });
    await client.close();
  });
});
