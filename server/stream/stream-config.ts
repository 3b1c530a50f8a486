/**
 * Stream settings: what the environment may set (the NATS relay, dead-letter attempts) and what a
 * pool may configure (`stream.webhooks`). `server/config.ts` stays the only reader of the
 * environment: it spreads `streamEnvShape` into its schema and calls `toStreamConfig` on the
 * parsed values, so a bad value is reported like any other setting. Only zod here: config.ts and
 * pool-settings.ts import this file.
 */
import { z } from "zod";

/** The server-wide stream settings. */
export interface StreamConfig {
  /** Failures before a consumer's event goes to the dead letters (handlers may override). */
  maxAttempts: number;
  /**
   * How long an instance's lease on a consumer's shard lasts without renewal (renewed every third
   * of it): after a crash, a survivor takes the shard over within about this long. Default 15000.
   */
  leaseTtlMs?: number;
  /** Relay every event to NATS JetStream; null when `SYNCPOOL_NATS_URL` is unset. */
  nats: { url: string; subjectPrefix: string; streamName: string } | null;
}

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `expected an integer from ${min} to ${max}` }).max(max, { error: `expected an integer from ${min} to ${max}` }));

/** The environment variables of the stream, for `server/config.ts`'s schema. */
export const streamEnvShape = {
  SYNCPOOL_STREAM_MAX_ATTEMPTS: int(1, 1000).default(10),
  SYNCPOOL_STREAM_LEASE_MS: int(500, 600_000).default(15_000),
  SYNCPOOL_NATS_URL: z
    .string()
    .regex(/^(nats|tls|wss?):\/\/[^\s]+$/, { error: "expected a nats://host:port URL" })
    .optional(),
  SYNCPOOL_NATS_SUBJECT_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, { error: "expected dot-separated subject tokens without wildcards" })
    .default("syncpool.stream"),
  SYNCPOOL_NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected a JetStream stream name (A-Z a-z 0-9 _ -)" })
    .default("SYNCPOOL"),
};

/** The parsed stream variables as the server's config object. */
export function toStreamConfig(env: {
  SYNCPOOL_STREAM_MAX_ATTEMPTS: number;
  SYNCPOOL_STREAM_LEASE_MS: number;
  SYNCPOOL_NATS_URL?: string | undefined;
  SYNCPOOL_NATS_SUBJECT_PREFIX: string;
  SYNCPOOL_NATS_STREAM: string;
}): StreamConfig {
  return {
    maxAttempts: env.SYNCPOOL_STREAM_MAX_ATTEMPTS,
    leaseTtlMs: env.SYNCPOOL_STREAM_LEASE_MS,
    nats: env.SYNCPOOL_NATS_URL
      ? { url: env.SYNCPOOL_NATS_URL, subjectPrefix: env.SYNCPOOL_NATS_SUBJECT_PREFIX, streamName: env.SYNCPOOL_NATS_STREAM }
      : null,
  };
}

/** A pool's webhook (`stream.webhooks[]`): a consumer POSTing each event, signed with `secret`. */
const webhookSchema = z
  .object({
    name: z.string({ error: "expected a string" }).regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "expected 1-64 characters of A-Z a-z 0-9 _ . -" }),
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
    secret: z.string({ error: "expected a string" }).min(16, { error: "expected a secret of at least 16 characters" }),
    timeoutMs: z
      .number({ error: "expected an integer from 1 to 60000" })
      .int({ error: "expected an integer from 1 to 60000" })
      .min(1, { error: "expected an integer from 1 to 60000" })
      .max(60_000, { error: "expected an integer from 1 to 60000" })
      .default(10_000),
  })
  .strict();

/** `stream.webhooks`: optional (absent means none), names unique within the pool. */
export const webhooksSchema = z
  .array(webhookSchema, { error: "expected an array" })
  .max(16, { error: "expected at most 16 webhooks" })
  .superRefine((webhooks, ctx) => {
    const seen = new Set<string>();
    webhooks.forEach((webhook, index) => {
      if (seen.has(webhook.name)) ctx.addIssue({ code: "custom", message: `duplicate webhook name "${webhook.name}"`, path: [index, "name"] });
      seen.add(webhook.name);
    });
  })
  .optional();
