/**
 * NATS JetStream for tests: where it is and whether it answers. Like `describeWithPostgres`:
 * without a reachable server the tests are skipped with a warning naming why, except on CI
 * (`CI=true`), where a missing NATS server is a failure rather than a silent pass.
 *
 *   await describeWithNats("NATS relay", () => { it(...) });
 */
import { connect } from "nats";
import { describe, it } from "vitest";

/** The test NATS server: `SYNCPOOL_TEST_NATS_URL`, else the local one. */
export const natsTestUrl = process.env.SYNCPOOL_TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** Whether `natsTestUrl` answers, with JetStream enabled, within 3 s. */
async function probeNats(): Promise<{ reachable: boolean; reason: string }> {
  try {
    const nc = await connect({ servers: natsTestUrl, timeout: 3000, reconnect: false });
    try {
      await (await nc.jetstreamManager()).getAccountInfo();
      return { reachable: true, reason: "" };
    } finally {
      await nc.close();
    }
  } catch (error) {
    return { reachable: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Registers `fn`'s tests under `name` when NATS JetStream answers; see the module comment otherwise. */
export async function describeWithNats(name: string, fn: () => void): Promise<void> {
  const { reachable, reason } = await probeNats();
  if (reachable) {
    describe(name, fn);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("has a NATS JetStream server to run against (required on CI)", () => {
        throw new Error(`NATS JetStream is required on CI but is not reachable at ${natsTestUrl} (${reason}); set SYNCPOOL_TEST_NATS_URL`);
      });
    });
  } else {
    console.warn(`NATS JetStream not reachable at ${natsTestUrl} (${reason}): skipping ${name}; start nats-server -js or set SYNCPOOL_TEST_NATS_URL`);
    describe.skip(name, fn);
  }
}
