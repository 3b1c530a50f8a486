/**
 * Moving a guest to another device: `signIn({ identityId, deviceSecret })` with what `signIn()`
 * returned, and `transferCode()` / `signIn({ transferCode })`, against the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestNetwork } from "../helpers/client-network.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

describe("moving a guest to another device", () => {
  it("signs in with signIn()'s own result, passed back as it is", async () => {
    const a = net.device("t1-a").client();
    const guest = await a.signIn();
    await a.dataset("d").put("k", "from a");
    await a.sync();
    const b = net.device("t1-b").client();
    // Typechecks without a cast: deviceSecret is string | null in the result.
    const restored = await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret });
    expect(restored.identityId).toBe(guest.identityId);
    await b.sync();
    expect(await b.dataset("d").get("k")).toBe("from a");
    await Promise.all([a.close(), b.close()]);
  });

  it("signs in another device with a transfer code, and refuses a forged or garbled one", async () => {
    const a = net.device("t2-a").client();
    const guest = await a.signIn();
    await a.dataset("d").put("k", "moved");
    await a.sync();
    const code = a.transferCode();
    const b = net.device("t2-b").client();
    await expect(b.signIn({ transferCode: "sp1.%%%" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { field: "transferCode" } });
    const forged = a.transferCode().slice(0, 4) + Buffer.from(JSON.stringify({ identityId: guest.identityId, deviceSecret: "guess" })).toString("base64url");
    await expect(b.signIn({ transferCode: forged })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect((await b.signIn({ transferCode: code })).identityId).toBe(guest.identityId);
    await b.sync();
    expect(await b.dataset("d").get("k")).toBe("moved");
    await Promise.all([a.close(), b.close()]);
  });

  it("has no transfer code while signed out", async () => {
    const a = net.device("t3-a").client();
    expect(() => a.transferCode()).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
    await a.close();
  });
});
