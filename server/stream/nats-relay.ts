/**
 * The optional relay of the stream to NATS JetStream, for readers outside the server: a consumer
 * like any other (checkpointed, retried, dead-lettered), so NATS being down delays the relay and
 * loses nothing. Each event is published to `<subjectPrefix>.<poolId>` with the JetStream message
 * id `<pool>/<shard>/<sequence>`, so a re-delivery after a crash inside JetStream's duplicate
 * window is dropped by the server: exactly once there in the common case. The payload is the
 * stream record (shard, sequenceNumber, ..., data) as JSON. This is the only module that imports
 * the NATS client.
 */
import type { JetStreamClient, NatsConnection } from "nats";
import type { Logger } from "../logger.js";
import type { Consumer, StreamRecord } from "./consumer.js";

/** Where the relay publishes (from `SYNCPOOL_NATS_*`). */
export interface NatsRelaySettings {
  /** e.g. `nats://127.0.0.1:4222`. */
  url: string;
  /** Subjects are `<subjectPrefix>.<poolId>`. */
  subjectPrefix: string;
  /** The JetStream stream holding `<subjectPrefix>.>`; created when missing. */
  streamName: string;
}

/** The relay's consumer name (its checkpoints are stored under it). */
export const NATS_RELAY_CONSUMER = "nats-relay";

/** The subject of a pool's events. */
export const natsSubject = (settings: NatsRelaySettings, poolId: string) => `${settings.subjectPrefix}.${poolId}`;

/** The relay as a consumer of every pool. Connects on first use and again after losing the server. */
export function natsRelayConsumer(settings: NatsRelaySettings, deps: { logger: Logger; maxAttempts: number }): Consumer {
  const logger = deps.logger.child({ component: "nats-relay" });
  const encoder = new TextEncoder();
  let session: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;

  const open = (): Promise<{ nc: NatsConnection; js: JetStreamClient }> => {
    if (session) return session;
    const opening = (async () => {
      // The NATS client loads with the first delivery, not with every server that has no relay.
      const { connect } = await import("nats");
      const nc = await connect({ servers: settings.url, name: "syncpool", timeout: 5000, maxReconnectAttempts: -1 });
      // A closed connection (drained, or given up) cannot publish: the next delivery reconnects.
      void nc.closed().then(() => {
        if (session === opening) session = undefined;
      });
      const jsm = await nc.jetstreamManager();
      try {
        await jsm.streams.info(settings.streamName);
      } catch {
        await jsm.streams.add({ name: settings.streamName, subjects: [`${settings.subjectPrefix}.>`] });
        logger.info({ stream: settings.streamName, subjects: `${settings.subjectPrefix}.>` }, "created the JetStream stream");
      }
      return { nc, js: nc.jetstream() };
    })().catch((error: unknown) => {
      if (session === opening) session = undefined;
      throw error;
    });
    session = opening;
    return opening;
  };

  return {
    name: NATS_RELAY_CONSUMER,
    kind: "nats",
    accepts: () => true,
    maxAttempts: deps.maxAttempts,
    async deliver(record: StreamRecord) {
      const { js } = await open();
      await js.publish(natsSubject(settings, record.identityPoolId), encoder.encode(JSON.stringify(record)), {
        msgID: `${record.identityPoolId}/${record.shard}/${record.sequenceNumber}`,
        timeout: 5000,
      });
    },
    async close() {
      const current = session;
      session = undefined;
      if (current) await (await current.catch(() => null))?.nc.drain().catch(() => undefined);
    },
  };
}
