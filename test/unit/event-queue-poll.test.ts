/**
 * `EventQueue.poll`: the consumer reads without a pending promise and is woken once per wait, for
 * an item, the end or a failure; a consumer that stopped is never woken again.
 */
import { describe, expect, it } from "vitest";
import { EventQueue } from "../../server/push/event-queue.js";

function queue(maxPendingBytes = 100) {
  const calls = { overflow: 0, close: 0 };
  const events = new EventQueue<{ sizeBytes: number; n: number }>({
    maxPendingBytes,
    onOverflow: () => void calls.overflow++,
    onClose: () => void calls.close++,
  });
  let wakes = 0;
  const waker = { wake: () => void wakes++ };
  return { events, calls, waker, wakes: () => wakes };
}

describe("EventQueue.poll", () => {
  it("answers a queued item at once, and undefined when empty, then wakes the consumer once for the next item", () => {
    const { events, waker, wakes } = queue();
    events.push({ sizeBytes: 10, n: 1 });
    expect(events.poll(waker)).toEqual({ done: false, value: { sizeBytes: 10, n: 1 } });
    expect(events.poll(waker)).toBeUndefined();
    expect(wakes()).toBe(0);
    events.push({ sizeBytes: 10, n: 2 });
    events.push({ sizeBytes: 10, n: 3 });
    expect(wakes()).toBe(1);
    expect(events.poll(waker)).toEqual({ done: false, value: { sizeBytes: 10, n: 2 } });
    expect(events.poll(waker)).toEqual({ done: false, value: { sizeBytes: 10, n: 3 } });
    expect(events.pendingBytes).toBe(0);
  });

  it("still bounds what waits for a consumer that was woken and has not polled yet", () => {
    const { events, calls, waker } = queue(25);
    expect(events.poll(waker)).toBeUndefined();
    expect(events.push({ sizeBytes: 20, n: 1 })).toBe(true);
    expect(events.push({ sizeBytes: 20, n: 2 })).toBe(false);
    expect(calls.overflow).toBe(1);
  });

  it("wakes a waiting consumer for the end, then answers done and closes once", () => {
    const { events, calls, waker, wakes } = queue();
    expect(events.poll(waker)).toBeUndefined();
    events.end();
    expect(wakes()).toBe(1);
    expect(events.poll(waker)).toEqual({ done: true, value: undefined });
    expect(calls.close).toBe(1);
  });

  it("wakes a waiting consumer for a failure, which its next poll throws", () => {
    const { events, calls, waker, wakes } = queue();
    expect(events.poll(waker)).toBeUndefined();
    events.fail(new Error("dropped"));
    expect(wakes()).toBe(1);
    expect(() => events.poll(waker)).toThrow("dropped");
    expect(calls.close).toBe(1);
  });

  it("never wakes a consumer that returned while waiting", async () => {
    const { events, calls, waker, wakes } = queue();
    expect(events.poll(waker)).toBeUndefined();
    await events.return();
    events.push({ sizeBytes: 1, n: 1 });
    events.end();
    expect(wakes()).toBe(0);
    expect(calls.close).toBe(1);
  });
});
