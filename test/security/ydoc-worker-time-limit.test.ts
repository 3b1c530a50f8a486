/**
 * The YDOC worker pool's hard time limit (`server/ydoc/ydoc-pool.ts`): a runaway Yjs job is
 * stopped by terminating its worker, refused as BAD_USER_INPUT / YDOC_TOO_COMPLEX, and the pool
 * replaces the worker and keeps serving; workers stay alive between jobs.
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DEFAULT_YDOC_BUDGET } from "../../core/ydoc-budget.js";
import { createYdocPool, type YdocPool } from "../../server/ydoc/ydoc-pool.js";
import { craftYdocBomb } from "../helpers/ydoc-bomb.js";

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * The id a worker thread started now gets. Node numbers this process's threads in the order they
 * start, so two of these around some work tell how many threads that work started.
 */
async function nextThreadId(): Promise<number> {
  const probe = new Worker("", { eval: true });
  const { threadId } = probe; // -1 once it has exited
  await once(probe, "exit");
  return threadId;
}

function textValue(text: string): string {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return toBase64(Y.encodeStateAsUpdate(doc));
}

// Jobs run up to the worker time limit, and runaway workers are replaced (a new worker thread each).
describe("the YDOC worker pool", { timeout: 20_000 }, () => {
  let pool: YdocPool | undefined;
  afterEach(async () => pool?.close());

  it("terminates a job running over its time limit, refuses it as YDOC_TOO_COMPLEX, and keeps working after", async () => {
    pool = createYdocPool({ workers: 1, timeLimitMs: 250 });
    // Warm: the worker has started and answered, so the limit below times Yjs work only.
    const warm = textValue("a");
    await expect(pool.run({ op: "equal", a: warm, b: warm })).resolves.toEqual({ op: "equal", equal: true });
    // Inside the budget, and seconds of Yjs work (a one-client update bomb).
    const runaway = pool.run({ op: "validate", value: toBase64(craftYdocBomb(4_000, { clients: "one-client" })), field: "v", budget: DEFAULT_YDOC_BUDGET });
    await expect(runaway).rejects.toMatchObject({ code: "BAD_USER_INPUT", details: { reason: "YDOC_TOO_COMPLEX" } });
    expect(pool.killedWorkers).toBe(1);
    // A fresh worker takes the next jobs.
    const merged = await pool.run({ op: "merge", stored: textValue("left"), incoming: textValue("right") });
    expect(merged).toMatchObject({ op: "merge", changed: true });
    expect(pool.killedWorkers).toBe(1);
  });

  it("answers jobs queued behind a runaway one once its worker is replaced", async () => {
    pool = createYdocPool({ workers: 1, timeLimitMs: 250 });
    await pool.run({ op: "equal", a: textValue("a"), b: textValue("a") });
    const runaway = pool.run({ op: "validate", value: toBase64(craftYdocBomb(4_000, { clients: "one-client" })), field: "v", budget: DEFAULT_YDOC_BUDGET });
    const queued = pool.run({ op: "equal", a: textValue("x"), b: textValue("y") });
    await expect(runaway).rejects.toMatchObject({ details: { reason: "YDOC_TOO_COMPLEX" } });
    await expect(queued).resolves.toEqual({ op: "equal", equal: false });
  });

  it("keeps its workers alive between jobs instead of starting one per job", async () => {
    pool = createYdocPool({ workers: 1, timeLimitMs: 5_000 });
    const value = textValue("hello");
    for (let job = 0; job < 20; job++) await pool.run({ op: "merge", stored: value, incoming: textValue(`edit ${job}`) });
    expect(pool.killedWorkers).toBe(0);
    // No thread starts for the next 20 jobs: the probe after them gets the very next thread id.
    const before = await nextThreadId();
    for (let job = 0; job < 20; job++) await pool.run({ op: "equal", a: value, b: value });
    expect(await nextThreadId()).toBe(before + 1);
  });

  it("reports a bad update from the worker as BAD_USER_INPUT with its field", async () => {
    pool = createYdocPool({ workers: 1, timeLimitMs: 5_000 });
    await expect(pool.run({ op: "validate", value: "////", field: "patches[3].value", budget: DEFAULT_YDOC_BUDGET })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      details: { field: "patches[3].value" },
    });
  });
});
