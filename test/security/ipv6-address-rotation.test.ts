/**
 * An attacker on IPv6 is handed a whole /64 and can send each request from a fresh address in it.
 * Per-address buckets must count the /64, or the per-address limit never fills.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { addressBucket } from "../../server/ip-address.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

describe("per-address limits against IPv6 address rotation", () => {
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startInProcessServer({
      // One trusted proxy: the client address is the X-Forwarded-For entry it appended.
      config: { trustedProxyHops: 1, pools: [poolSettingsSchema.parse({ id: "default", rateLimits: { perAddress: { burst: 3, perSecond: 0.01 } } })] },
    });
  });
  afterAll(async () => server?.close());

  async function signInFrom(address: string) {
    const response = await server.testFetch(server.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": address },
      body: JSON.stringify({ query: `mutation { signIn(input: { identityPoolId: "default" }) { identityId } }` }),
    });
    return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  }

  it("counts every address of one /64 in a single bucket", async () => {
    const codes: (string | undefined)[] = [];
    for (let host = 1; host <= 5; host++) codes.push((await signInFrom(`2001:db8:aa:bb::${host.toString(16)}:1`)).errors?.[0]?.extensions?.code);
    expect(codes.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(codes.slice(3)).toEqual(["RATE_LIMITED", "RATE_LIMITED"]);
  });

  it("gives another /64 its own bucket", async () => {
    expect((await signInFrom("2001:db8:aa:cc::1")).errors).toBeUndefined();
  });

  it("keys IPv4, IPv4-mapped IPv6 and IPv6 addresses by host, host and /64", () => {
    expect(addressBucket("203.0.113.9")).toBe("203.0.113.9");
    expect(addressBucket("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(addressBucket("::ffff:cb00:7109")).toBe("203.0.113.9");
    expect(addressBucket("2001:db8:aa:bb:1:2:3:4")).toBe("2001:db8:aa:bb::/64");
    expect(addressBucket("2001:DB8:AA:BB::9%eth0")).toBe("2001:db8:aa:bb::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
    expect(addressBucket("in-process")).toBe("in-process");
  });
});
