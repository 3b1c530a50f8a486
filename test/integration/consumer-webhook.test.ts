/**
 * Webhooks are consumers: a pool's webhook receives every event as a signed POST (body = the
 * event, HMAC-SHA256 over timestamp and body), and a receiver that is down while pushes happen
 * gets every one of them, in order, once it is back.
 * The webhook receiver listens on a port (the server's deliveries are real HTTP); the server runs
 * in-process.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../server/stream/signature.js";
import { EVENT_HEADERS } from "../../server/stream/webhook-consumer.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi, waitFor } from "../helpers/stream-api.js";
import { syncApi } from "../helpers/sync-api.js";

const SECRET = "webhook-secret-0123456789";

interface Delivery {
  body: string;
  headers: IncomingHttpHeaders;
}

/** A free port on loopback, closed again: nothing answers there until `listen` on it. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((listening) => probe.listen(0, "127.0.0.1", listening));
  const { port } = probe.address() as AddressInfo;
  await new Promise((closed) => probe.close(closed));
  return port;
}

function receiver(deliveries: Delivery[]): Server {
  return createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += String(chunk)));
    request.on("end", () => {
      deliveries.push({ body, headers: request.headers });
      response.writeHead(204).end();
    });
  });
}

let server: InProcessServer | undefined;
let hook: Server | undefined;
afterAll(async () => {
  await server?.close();
  hook?.closeAllConnections();
  await new Promise((closed) => (hook ? hook.close(closed) : closed(undefined)));
});

describe("webhook consumer", () => {
  it("delivers every event written while the receiver was down once it is back, signed and in order", async () => {
    const port = await freePort();
    server = await startInProcessServer({
      config: {
        outbound: { allowPrivateAddresses: true }, // the webhook receiver listens on loopback
        adminToken: ADMIN_TOKEN,
        pools: [
          poolSettingsSchema.parse({
            id: "default",
            stream: { shards: 1, webhooks: [{ name: "audit", url: `http://127.0.0.1:${port}/events`, secret: SECRET, timeoutMs: 2000 }] },
          }),
        ],
        stream: { maxAttempts: 1000, nats: null },
      },
      serverOptions: { stream: { consumers: { pollIntervalMs: 50, retryBaseMs: 20, retryMaxMs: 100 } } },
    });
    const { identityId, token } = await server.signInGuest();
    const api = syncApi(server, token);
    for (let index = 1; index <= 6; index++) await api.push({ dataset: "d", patches: [{ op: "REPLACE", key: "k", value: `v${index}` }] });

    const stream = streamApi(server);
    // The consumer has seen all six events and failed to deliver the first at least twice.
    await waitFor(
      async () => {
        const shard = (await stream.consumers())[0]?.shards[0];
        return (shard?.attempts ?? 0) >= 2 && shard?.lastSequenceNumber === "6";
      },
      5000,
      "failed attempts while down, with all six events seen",
    );
    const [status] = await stream.consumers();
    expect(status).toMatchObject({ name: "webhook:default:audit", kind: "webhook", shards: [{ checkpoint: "0", lastSequenceNumber: "6" }] });
    expect(status!.shards[0]!.lastError).toMatch(/fetch failed|ECONNREFUSED/);

    const deliveries: Delivery[] = [];
    hook = receiver(deliveries);
    await new Promise<void>((listening) => hook!.listen(port, "127.0.0.1", listening));
    await waitFor(() => deliveries.length >= 6, 5000, "six deliveries");
    await stream.waitForConsumer("webhook:default:audit", 6);

    expect(deliveries.map((delivery) => JSON.parse(delivery.body).kinesisSyncRecords[0].value)).toEqual(["v1", "v2", "v3", "v4", "v5", "v6"]);
    for (const [index, { body, headers }] of deliveries.entries()) {
      expect(JSON.parse(body)).toMatchObject({ identityPoolId: "default", identityId, dataSetName: "d", syncCount: index + 1 });
      expect(headers[EVENT_HEADERS.eventId]).toBe(`default/0/${index + 1}`);
      expect(headers[EVENT_HEADERS.sequence]).toBe(String(index + 1));
      expect(headers["content-type"]).toBe("application/json");
      const signed = { secret: SECRET, body, timestamp: headers[TIMESTAMP_HEADER] as string, signature: headers[SIGNATURE_HEADER] as string };
      expect(verifySignature(signed)).toBe(true);
    }
  });
});
