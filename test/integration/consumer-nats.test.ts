/**
 * The NATS JetStream relay: a consumer publishing every event to `<prefix>.<poolId>` with the
 * JetStream message id `<pool>/<shard>/<sequence>`, so a re-delivery (at least once on our side)
 * is dropped by JetStream's duplicate window. Runs against the local NATS server (skipped with a
 * warning where none answers; a failure on CI).
 */
import { randomBytes } from "node:crypto";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import type { StreamRecord } from "../../server/stream/consumer.js";
import { silentLogger } from "../../server/logger.js";
import { natsRelayConsumer, NATS_RELAY_CONSUMER } from "../../server/stream/nats-relay.js";
import { describeWithNats, natsTestUrl } from "../helpers/nats.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { syncApi } from "../helpers/sync-api.js";

await describeWithNats("NATS JetStream relay", () => {
  const suffix = randomBytes(4).toString("hex");
  const settings = { url: natsTestUrl, subjectPrefix: `syncpool-test-${suffix}.stream`, streamName: `SYNCPOOL_TEST_${suffix}` };
  let nc: NatsConnection;
  let server: InProcessServer;

  beforeAll(async () => {
    nc = await connect({ servers: natsTestUrl });
    server = await startInProcessServer({
      config: { adminToken: ADMIN_TOKEN, pools: [poolSettingsSchema.parse({ id: "relayed", stream: { shards: 2 } })], stream: { maxAttempts: 10, nats: settings } },
      serverOptions: { stream: { consumers: { pollIntervalMs: 50, retryBaseMs: 20, retryMaxMs: 200 } } },
    });
  });
  afterAll(async () => {
    await server?.close();
    await (await nc.jetstreamManager()).streams.delete(settings.streamName).catch(() => undefined);
    await nc.close();
  });

  it("publishes every event to the pool's subject with its sequence as the message id", async () => {
    for (let guest = 0; guest < 2; guest++) {
      const api = syncApi(server, (await server.signInGuest("relayed")).token);
      for (const value of ["a", "b"]) await api.push({ dataset: "d", patches: [{ op: "REPLACE", key: "k", value: `${guest}-${value}` }] });
    }
    await streamApi(server).waitForConsumer(NATS_RELAY_CONSUMER, 4);

    const jsm = await nc.jetstreamManager();
    expect((await jsm.streams.info(settings.streamName)).state.messages).toBe(4);
    const messages = await Promise.all([1, 2, 3, 4].map((seq) => jsm.streams.getMessage(settings.streamName, { seq })));
    const relayed = messages.map((message) => ({ subject: message.subject, id: message.header.get("Nats-Msg-Id"), record: message.json<StreamRecord>() }));
    for (const { subject, id, record } of relayed) {
      expect(subject).toBe(`${settings.subjectPrefix}.relayed`);
      expect(id).toBe(`relayed/${record.shard}/${record.sequenceNumber}`);
      expect(record.data.identityPoolId).toBe("relayed");
    }
    // Each identity's two events arrive in order.
    const byIdentity = new Map<string, string[]>();
    for (const { record } of relayed) byIdentity.set(record.partitionKey, [...(byIdentity.get(record.partitionKey) ?? []), record.data.kinesisSyncRecords[0]!.value!]);
    expect([...byIdentity.values()].map((values) => values.map((value) => value.slice(2)))).toEqual([["a", "b"], ["a", "b"]]);
  });

  it("drops a re-delivered event inside JetStream's duplicate window", async () => {
    const relay = natsRelayConsumer(settings, { logger: silentLogger(), maxAttempts: 1 });
    const jsm = await nc.jetstreamManager();
    const first = await jsm.streams.getMessage(settings.streamName, { seq: 1 });
    try {
      await relay.deliver(first.json<StreamRecord>()); // as after a crash before the checkpoint was saved
      expect((await jsm.streams.info(settings.streamName)).state.messages).toBe(4);
    } finally {
      await relay.close?.();
    }
  });
});
