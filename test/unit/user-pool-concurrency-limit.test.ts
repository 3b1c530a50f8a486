/**
 * The limit argon2id runs behind: never more than its places at once, waiting work starts in
 * order as places free, and work that fails frees its place too.
 */
import { describe, expect, it } from "vitest";
import { createConcurrencyLimit } from "../../server/user-pool/concurrency-limit.js";

/** Work that runs until the test ends it. */
function controlledWork() {
  const started: number[] = [];
  const finish = new Map<number, (outcome: "ok" | "fail") => void>();
  const work = (id: number) => () =>
    new Promise<number>((resolve, reject) => {
      started.push(id);
      finish.set(id, (outcome) => (outcome === "ok" ? resolve(id) : reject(new Error(`work ${id} failed`))));
    });
  return { started, finish: (id: number, outcome: "ok" | "fail" = "ok") => finish.get(id)!(outcome), work };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("concurrency limit", () => {
  it("runs at most its places at once and starts the waiting work in order as places free", async () => {
    const limit = createConcurrencyLimit(2);
    const { started, finish, work } = controlledWork();
    const results = [1, 2, 3, 4, 5].map((id) => limit(work(id)));
    await settle();
    expect(started).toEqual([1, 2]);
    finish(2);
    await settle();
    expect(started).toEqual([1, 2, 3]);
    finish(1);
    finish(3);
    await settle();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    finish(4);
    finish(5);
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4, 5]);
  });

  it("frees the place of work that fails", async () => {
    const limit = createConcurrencyLimit(1);
    const { started, finish, work } = controlledWork();
    const failing = limit(work(1));
    const next = limit(work(2));
    await settle();
    expect(started).toEqual([1]);
    finish(1, "fail");
    await expect(failing).rejects.toThrow("work 1 failed");
    await settle();
    expect(started).toEqual([1, 2]);
    finish(2);
    await expect(next).resolves.toBe(2);
  });
});
