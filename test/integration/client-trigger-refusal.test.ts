/**
 * A refused write and a pool's sync trigger: its verdict (TRIGGER_REJECTED) is final, so the refused
 * writes leave the outbox and are reported as `writeRejected`; its failure (TRIGGER_FAILED: it
 * threw, nothing committed) is not, so the writes stay pending for the next try, and the pull
 * still runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SyncpoolError, type ClientEvents } from "../../client/index.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { TestNetwork } from "../helpers/client-network.js";

const POOL = "guarded";
const dir = mkdtempSync(join(tmpdir(), "syncpool-client-trigger-"));
writeFileSync(
  join(dir, "trigger.mjs"),
  `export default async function syncTrigger(event) {
    const values = Object.values(event.datasetRecords).map((record) => record.newValue);
    if (values.includes("!reject")) return { reject: { message: "values must not start with !" } };
    if (values.includes("!throw")) throw new Error("the trigger broke");
    return event;
  }\n`,
);

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start({
    config: { configFile: join(dir, "syncpool.json"), pools: [poolSettingsSchema.parse({ id: POOL, syncTrigger: { module: "./trigger.mjs" } })] },
  });
});
afterAll(async () => {
  await net.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a push the sync trigger refuses", () => {
  it("is dropped and reported when the trigger rejects it; the dataset keeps syncing", async () => {
    const client = net.device("rejected").client({ identityPoolId: POOL });
    await client.signIn();
    await client.dataset("d").put("k", "fine");
    await client.sync();
    const rejected: ClientEvents["writeRejected"][] = [];
    client.on("writeRejected", (event) => rejected.push(event));

    await client.dataset("d").put("k", "!reject");
    await client.sync();
    expect(rejected).toMatchObject([{ dataset: "d", code: "TRIGGER_REJECTED", records: [{ key: "k", value: "!reject" }] }]);
    expect(await client.dataset("d").get("k")).toBe("fine");
    expect(await client.dataset("d").pendingCount()).toBe(0);

    await client.dataset("d").put("k", "fine again");
    await client.sync();
    expect(await client.dataset("d").getRecord("k")).toMatchObject({ value: "fine again", syncCount: 2 });
  });

  it("stays pending when the trigger fails, and the pull still runs", async () => {
    const a = net.device("failed-a").client({ identityPoolId: POOL });
    const guest = await a.signIn();
    const b = net.device("failed-b").client({ identityPoolId: POOL });
    await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
    const rejected: unknown[] = [];
    b.on("writeRejected", (event) => rejected.push(event));

    await b.dataset("d").put("mine", "!throw");
    await a.dataset("d").put("theirs", "from a");
    await a.sync();
    const error = await b.sync().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SyncpoolError);
    expect(error).toMatchObject({ code: "TRIGGER_FAILED" });
    expect(rejected).toEqual([]);
    expect(await b.dataset("d").get("theirs")).toBe("from a");
    expect(await b.dataset("d").pendingWrites()).toMatchObject([{ key: "mine", value: "!throw" }]);
  });
});
