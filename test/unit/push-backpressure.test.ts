/**
 * Slow consumers are dropped, not buffered without bound: the per-subscription event queue, the
 * socket send-buffer guard (on a fake socket), and a subscription that stops reading.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { admitSend, dropSocket, type GuardedSocket } from "../../server/push/backpressure.js";
import { createInProcessChangeBus } from "../../server/push/change-bus.js";
import { PUSH_CLOSE_CODES } from "../../server/push/close-codes.js";
import { openDatasetChanges, type DropReason } from "../../server/push/dataset-changes.js";
import { EventQueue } from "../../server/push/event-queue.js";
import type { CommittedChange } from "../../server/sync/types.js";

class FakeSocket implements GuardedSocket {
  bufferedAmount = 0;
  readyState = 1;
  closed: Array<{ code: number; reason: string }> = [];
  terminated = false;
  close(code: number, reason: string) {
    this.closed.push({ code, reason });
    this.readyState = 2; // CLOSING
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
  }
}

const caller = { identityId: "local:alice", poolId: "default", limits: { maxDatasets: 20, maxRecords: 1024, maxDatasetBytes: 1_048_576, maxClockSkewMs: 300_000 } };

function change(syncCount: number, value = "x", identityId = caller.identityId): CommittedChange {
  return {
    poolId: "default",
    identityId,
    dataset: "notes",
    syncCount,
    deviceId: "device-a",
    mutationId: `m-${syncCount}`,
    deleted: false,
    records: [{ key: "k", value, kind: "STRING", syncCount, clock: "000000000000001-000000-device-a", lastModifiedBy: "device-a", lastModifiedAt: 1, deviceLastModifiedAt: 1, deleted: false }],
    origin: "device",
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the socket send-buffer guard", () => {
  it("admits a send while the buffer is within the bound", () => {
    const socket = new FakeSocket();
    socket.bufferedAmount = 1000;
    expect(admitSend(socket, 1000)).toBe(true);
    expect(socket.closed).toEqual([]);
  });

  it("drops a socket whose buffer is over the bound with the slow-consumer code", () => {
    const socket = new FakeSocket();
    socket.bufferedAmount = 1001;
    expect(admitSend(socket, 1000)).toBe(false);
    expect(socket.closed).toEqual([{ code: PUSH_CLOSE_CODES.SLOW_CONSUMER, reason: expect.stringMatching(/slow consumer/) }]);
    expect(admitSend(socket, 1000)).toBe(false);
    expect(socket.closed).toHaveLength(1);
  });

  it("cuts a dropped socket that does not finish closing within the grace period", () => {
    vi.useFakeTimers();
    const socket = new FakeSocket();
    dropSocket(socket, 4413, "slow");
    vi.advanceTimersByTime(1999);
    expect(socket.terminated).toBe(false);
    vi.advanceTimersByTime(1);
    expect(socket.terminated).toBe(true);
  });

  it("keeps a close reason within the 123 bytes a close frame carries", () => {
    const socket = new FakeSocket();
    dropSocket(socket, 4401, "é".repeat(100));
    expect(Buffer.byteLength(socket.closed[0]!.reason)).toBeLessThanOrEqual(123);
  });
});

describe("the event queue of one subscription", () => {
  const sized = (sizeBytes: number) => ({ sizeBytes });

  it("hands events over in order, the front-pushed one first", async () => {
    const queue = new EventQueue<{ sizeBytes: number; n?: number }>({ maxPendingBytes: 100, onOverflow: () => undefined, onClose: () => undefined });
    queue.push({ sizeBytes: 1, n: 2 });
    queue.pushFront({ sizeBytes: 1, n: 1 });
    expect((await queue.next()).value).toMatchObject({ n: 1 });
    expect((await queue.next()).value).toMatchObject({ n: 2 });
    const waiting = queue.next();
    queue.push({ sizeBytes: 1, n: 3 });
    expect((await waiting).value).toMatchObject({ n: 3 });
  });

  it("refuses events past its byte bound and reports the overflow once", () => {
    const onOverflow = vi.fn();
    const queue = new EventQueue({ maxPendingBytes: 100, onOverflow, onClose: () => undefined });
    expect(queue.push(sized(60))).toBe(true);
    expect(queue.push(sized(40))).toBe(true);
    expect(queue.pendingBytes).toBe(100);
    expect(queue.push(sized(1))).toBe(false);
    expect(queue.push(sized(1))).toBe(false);
    expect(onOverflow).toHaveBeenCalledTimes(1);
  });

  it("rejects the consumer once with the failure, then is done", async () => {
    const onClose = vi.fn();
    const queue = new EventQueue({ maxPendingBytes: 100, onOverflow: () => undefined, onClose });
    queue.push(sized(1));
    queue.fail(new Error("slow"));
    await expect(queue.next()).rejects.toThrow("slow");
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it("releases its producer when the consumer returns", async () => {
    const onClose = vi.fn();
    const queue = new EventQueue({ maxPendingBytes: 100, onOverflow: () => undefined, onClose });
    const waiting = queue.next();
    await queue.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(queue.push(sized(1))).toBe(false);
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});

describe("a subscription whose consumer stops reading", () => {
  const deps = () => ({ bus: createInProcessChangeBus(), storage: { getDataset: async () => null }, now: () => 1_000 });

  it("asks its connection to drop it as a slow consumer instead of queueing more (WebSocket)", async () => {
    const d = deps();
    const drops: DropReason[] = [];
    const events = await openDatasetChanges(d, {
      caller,
      dataset: null,
      sinceSyncCount: null,
      expiresAtMs: 1_000_000,
      maxPendingBytes: 64 * 1024,
      connection: { drop: (reason) => void drops.push(reason) },
    });
    const big = "v".repeat(10_000);
    for (let count = 1; count <= 20; count++) d.bus.publish(change(count, big));
    expect(drops).toEqual(["slow-consumer"]);
    await events.return?.();
    expect(d.bus.listenerCount()).toBe(0);
  });

  it("ends with LIMIT_EXCEEDED when it has no connection to drop (SSE)", async () => {
    const d = deps();
    const events = await openDatasetChanges(d, { caller, dataset: null, sinceSyncCount: null, expiresAtMs: 1_000_000, maxPendingBytes: 64 * 1024 });
    for (let count = 1; count <= 20; count++) d.bus.publish(change(count, "v".repeat(10_000)));
    await expect(events.next()).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", details: { limit: "maxBufferedBytes" } });
    expect(d.bus.listenerCount()).toBe(0);
  });

  it("hears only its own identity on a shared bus", async () => {
    const d = deps();
    const events = await openDatasetChanges(d, { caller, dataset: "notes", sinceSyncCount: null, expiresAtMs: 1_000_000, maxPendingBytes: 64 * 1024 });
    d.bus.publish(change(1, "bob's", "local:bob"));
    d.bus.publish(change(2, "alice's"));
    expect((await events.next()).value).toMatchObject({ syncCount: 2, records: [{ value: "alice's" }] });
    await events.return?.();
  });
});
