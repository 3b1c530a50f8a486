/**
 * A vitest setup file (every project, every test file): a promise rejected with nobody listening
 * fails the test during which it happened, instead of surfacing as a stray "Unhandled Rejection"
 * after the run, or not at all. In an app the same rejection ends a Node process with exit code 1,
 * so no client path may leave one.
 *
 * Node reports an unhandled rejection once the microtask queue is empty; `afterEach` lets one turn
 * of the event loop pass (`setImmediate`, not a timed wait) so rejections caused by the test's last
 * statement are reported before the verdict.
 */
import { afterEach, beforeEach } from "vitest";

let caught: unknown[] = [];

const trap = (reason: unknown): void => {
  caught.push(reason);
};

beforeEach(() => {
  caught = [];
  process.on("unhandledRejection", trap);
});

afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve));
  process.off("unhandledRejection", trap);
  const rejections = caught;
  caught = [];
  if (rejections.length > 0) {
    const described = rejections.map((reason) => (reason instanceof Error ? (reason.stack ?? reason.message) : JSON.stringify(reason) ?? String(reason)));
    throw new Error(`${rejections.length} unhandled rejection(s) during this test:\n${described.join("\n")}`);
  }
});
