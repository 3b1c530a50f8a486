/**
 * Acceptance: a push whose answer is lost is retried with the same mutationId and applied once;
 * a push delivered twice is applied once; a push interrupted by an app restart is re-sent with
 * the same id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkError } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";
import { sentOperationName } from "../helpers/sent-operation.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

/** Records the mutation ids of the pushes a device sends. */
function captureMutationIds(fetchFn: typeof fetch | ((url: string, init: RequestInit) => Promise<Response>)) {
  const ids: string[] = [];
  const wrapped = (url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as { variables?: { input?: { mutationId?: string } } };
    if (sentOperationName(init.body) === "Push") ids.push(body.variables?.input?.mutationId as string);
    return fetchFn(url, init);
  };
  return { ids, fetch: wrapped };
}

async function serverSyncCount(identityId: string, dataset: string): Promise<number | undefined> {
  return (await net.server?.storage.datasets.getDataset(identityId, dataset))?.syncCount;
}

describe("push retries", () => {
  it("re-send a push whose answer was lost with the same mutation id; the server applies it once", async () => {
    const link = net.device("lost");
    const capture = captureMutationIds(link.fetch);
    const client = link.client({ fetch: capture.fetch });
    const { identityId } = await client.signIn();
    await client.dataset("d").put("a", "1");
    await client.dataset("d").put("b", "2");
    link.pushFaults.push("drop");
    await expect(client.sync()).rejects.toBeInstanceOf(NetworkError);
    // The server committed the push although the device never heard.
    expect(await serverSyncCount(identityId, "d")).toBe(1);
    await client.sync();
    expect(capture.ids).toHaveLength(2);
    expect(capture.ids[1]).toBe(capture.ids[0]);
    expect(await serverSyncCount(identityId, "d")).toBe(1);
    expect(await client.dataset("d").pendingCount()).toBe(0);
    expect(await client.dataset("d").getRecord("a")).toMatchObject({ value: "1", syncCount: 1 });
  });

  it("apply a push delivered twice once", async () => {
    const link = net.device("dup");
    const client = link.client();
    const { identityId } = await client.signIn();
    await client.dataset("d").put("a", "1");
    link.pushFaults.push("duplicate");
    await client.sync();
    expect(link.pushesDelivered).toBe(2);
    expect(await serverSyncCount(identityId, "d")).toBe(1);
    expect(await client.dataset("d").getRecord("a")).toMatchObject({ value: "1", syncCount: 1 });
  });

  it("re-send the stored batch with the same id after the app restarts mid-push", async () => {
    const link = net.device("crash");
    const capture = captureMutationIds(link.fetch);
    const first = link.client({ fetch: capture.fetch });
    const { identityId } = await first.signIn();
    await first.dataset("d").put("a", "1");
    link.pushFaults.push("drop");
    await expect(first.sync()).rejects.toBeInstanceOf(NetworkError);
    await first.close();
    const second = link.client({ fetch: capture.fetch });
    await second.signIn();
    await second.sync();
    expect(capture.ids[1]).toBe(capture.ids[0]);
    expect(await serverSyncCount(identityId, "d")).toBe(1);
  });
});
