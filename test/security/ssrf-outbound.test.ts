/**
 * Blind SSRF: the server makes requests to URLs that others chose (a guest's push endpoint, a
 * pool's trigger or webhook, an OIDC issuer). None may reach loopback, the private network or a
 * cloud metadata address unless the operator allows private addresses, redirects are never
 * followed, and answers are read only up to a cap. A real loopback listener stands in for the
 * internal service an attacker would aim at: it must never hear a request.
 * The loopback listener is the target; the server runs in-process.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { isPublicAddress, OutboundRefused, outboundRequest } from "../../server/outbound-http.js";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { browserSubscription, type Receiver } from "../helpers/push-receivers.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { GraphQLFailure, syncApi } from "../helpers/sync-api.js";

/** An internal HTTP service on loopback that counts what reaches it; `answer` writes each response. */
async function startInternalService(answer: (respond: import("node:http").ServerResponse) => void = (respond) => void respond.end("secret")) {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    answer(response);
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const port = (server.address() as AddressInfo).port;
  return {
    requests,
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}

/** A real browser subscription's keys (the endpoint is set per test). */
const KEYS = browserSubscription({ url: "https://unused.invalid" } as Receiver, "/").keys;
const REGISTER = `mutation ($input: RegisterDeviceInput!) { registerDevice(input: $input) { deviceId } }`;

describe("Web Push endpoints", () => {
  let server: InProcessServer;
  let internal: Awaited<ReturnType<typeof startInternalService>>;

  beforeAll(async () => {
    internal = await startInternalService();
    server = await startInProcessServer({
      captureLogs: true,
      // The operator lists the loopback service as a push service: only the address rule stands in the way.
      config: { push: { ...DEFAULT_PUSH_CONFIG, allowHttpEndpoints: true, deliveryAttempts: 1, pushServiceOrigins: [...DEFAULT_PUSH_CONFIG.pushServiceOrigins, internal.origin, "http://localhost:9"] } },
    });
  });
  afterAll(async () => {
    await server?.close();
    await internal?.close();
  });

  async function register(endpoint: string) {
    const api = syncApi(server, (await server.signInGuest()).token);
    return api.call(REGISTER, { input: { platform: "WEB_PUSH", deviceId: "d1", subscription: { endpoint, keys: KEYS } } }).catch((error: unknown) => error);
  }

  it.each([
    ["a loopback address", () => `${internal.origin}/push`],
    ["a host name that resolves to loopback", () => "http://localhost:9/push"],
    ["the cloud metadata address", () => "https://169.254.169.254/latest/meta-data"],
    ["a private network address", () => "https://10.0.0.8/push"],
    ["an IPv4-mapped loopback in IPv6", () => "https://[::ffff:127.0.0.1]/push"],
    ["an origin that is no push service", () => "https://push.attacker.example/x"],
  ])("refuses to register an endpoint on %s", async (_what, endpoint) => {
    const refused = await register(endpoint());
    expect(refused).toBeInstanceOf(GraphQLFailure);
    expect((refused as GraphQLFailure).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.subscription.endpoint" });
  });

  it("refuses again at delivery, so an endpoint stored before (or re-pointed since) reaches nothing", async () => {
    const { identityId, token } = await server.signInGuest();
    // A registration as stored by an earlier version, pointing at the internal service.
    await server.storage.devices.saveDevice({ identityId, deviceId: "old", poolId: "default", platform: "WEB_PUSH", url: `${internal.origin}/push`, ...KEYS, token: null, createdAt: 0, updatedAt: 0 });
    await server.storage.devices.subscribeDevice(identityId, "old", "notes", 0);
    await syncApi(server, token).push({ dataset: "notes", deviceId: "laptop", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    await expect.poll(() => server.logText(), { timeout: 10_000 }).toContain("not a public address");
    expect(internal.requests).toEqual([]);
  });

  it("reaches an on-premises push service once the operator allows private addresses", async () => {
    const onPrem = await startInProcessServer({
      config: {
        outbound: { allowPrivateAddresses: true },
        push: { ...DEFAULT_PUSH_CONFIG, allowHttpEndpoints: true, deliveryAttempts: 1, pushServiceOrigins: [internal.origin] },
      },
    });
    try {
      const { token } = await onPrem.signInGuest();
      const api = syncApi(onPrem, token);
      await api.call(REGISTER, { input: { platform: "WEB_PUSH", deviceId: "d1", subscription: { endpoint: `${internal.origin}/push`, keys: KEYS } } });
      await api.call(`mutation { subscribeToDataset(dataset: "notes", deviceId: "d1") }`);
      await api.push({ dataset: "notes", deviceId: "laptop", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
      await expect.poll(() => internal.requests.length, { timeout: 10_000 }).toBeGreaterThan(0);
    } finally {
      await onPrem.close();
    }
  });
});

describe("sync triggers", () => {
  it("are not called on a loopback URL unless the operator allows private addresses", async () => {
    const internal = await startInternalService((response) => void response.writeHead(200, { "content-type": "application/json" }).end("{}"));
    const server = await startInProcessServer({
      config: { pools: [poolSettingsSchema.parse({ id: "default", syncTrigger: { url: `${internal.origin}/trigger`, secret: "s".repeat(32), timeoutMs: 2000 } })] },
    });
    try {
      const api = syncApi(server, (await server.signInGuest()).token);
      const refused = await api.push({ dataset: "notes", patches: [{ op: "REPLACE", key: "k", value: "v" }] }).catch((error: unknown) => error);
      expect((refused as GraphQLFailure).code).toBe("TRIGGER_FAILED");
      expect(internal.requests).toEqual([]);
    } finally {
      await server.close();
      await internal.close();
    }
  });
});

describe("the outbound guard", () => {
  it("tells public addresses from loopback, private, link-local, metadata and mapped ones", () => {
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"]) expect(isPublicAddress(address), address).toBe(true);
    for (const address of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "::ffff:7f00:1", "64:ff9b::a00:1"]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it("refuses a host when any of its addresses is not public", async () => {
    const internal = await startInternalService();
    const mixed = async () => [{ address: "8.8.8.8", family: 4 }, { address: "127.0.0.1", family: 4 }];
    try {
      const refused = await outboundRequest({ url: `http://mixed.test:${internal.port}/`, method: "GET", timeoutMs: 2000 }, { allowPrivateAddresses: false }, mixed).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OutboundRefused);
      expect(internal.requests).toEqual([]);
    } finally {
      await internal.close();
    }
  });

  it("resolves a host once and connects to the address it checked (no second lookup to rebind)", async () => {
    const internal = await startInternalService();
    let lookups = 0;
    // The name exists only in this resolver: were the connection to look it up again, it would fail.
    const once = async () => {
      lookups++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    try {
      const answer = await outboundRequest({ url: `http://checked-once.invalid:${internal.port}/x`, method: "GET", timeoutMs: 2000 }, { allowPrivateAddresses: true }, once);
      expect(answer.status).toBe(200);
      expect(lookups).toBe(1);
      expect(internal.requests).toEqual(["GET /x"]);
    } finally {
      await internal.close();
    }
  });

  it("never follows a redirect and stops reading an answer over its cap", async () => {
    const target = await startInternalService();
    const redirecting = await startInternalService((response) => void response.writeHead(302, { location: `${target.origin}/internal` }).end());
    const huge = await startInternalService((response) => void response.end("x".repeat(200_000)));
    const allow = { allowPrivateAddresses: true };
    try {
      expect((await outboundRequest({ url: `${redirecting.origin}/`, method: "GET", timeoutMs: 2000 }, allow)).status).toBe(302);
      expect(target.requests).toEqual([]);
      await expect(outboundRequest({ url: `${huge.origin}/`, method: "GET", timeoutMs: 2000, maxResponseBytes: 10_000 }, allow)).rejects.toThrow(/larger than 10000 bytes/);
    } finally {
      await Promise.all([target.close(), redirecting.close(), huge.close()]);
    }
  });
});
