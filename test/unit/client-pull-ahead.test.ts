import { describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { NetworkError } from "../../client/transport/network-error.js";
import type { RecordsArgs, Transport } from "../../client/transport/transport.js";
import { MemoryServer, closedAfterEach, memoryClient } from "../helpers/client-memory-transport.js";

const track = closedAfterEach();

/** A server holding `datasets`, each with `count` records written by another device. */
async function serverWith(datasets: string[], count: number): Promise<MemoryServer> {
  const server = new MemoryServer();
  const writer = track(memoryClient(server));
  await writer.signIn();
  for (const dataset of datasets) {
    await writer.dataset(dataset).putMany(Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, `${dataset}${i}`])));
  }
  await writer.sync();
  server.calls.splice(0); // count only the reader's calls
  return server;
}

/** `server`'s transport, with `before` run ahead of each records call. */
function recordsHook(server: MemoryServer, before: (args: RecordsArgs) => Promise<void> | void): Transport {
  return {
    ...server.transport,
    records: async (token, args) => {
      await before(args);
      return server.transport.records(token, args);
    },
  };
}

function recordsCalls(server: MemoryServer, dataset: string): number {
  return server.calls.filter((call) => call.method === "records" && (call.args[1] as RecordsArgs).dataset === dataset).length;
}

describe("pulling ahead in a full sync", () => {
  it("asks for the next dataset's records before the one before is applied, and reports each dataset's progress", async () => {
    const server = await serverWith(["a", "b"], 7);
    const log: string[] = [];
    const reader = track(memoryClient(server, { pageSize: 3, transport: recordsHook(server, (args) => void log.push(`records ${args.dataset}`)) }));
    reader.on("syncState", ({ state }) => log.push(state));
    const progress: unknown[] = [];
    reader.on("syncProgress", (event) => progress.push(event));
    await reader.signIn();
    await reader.sync();

    // b's pages were asked for before b's own turn began (its push step), while a was applied.
    const bPushing = log.indexOf("pushing", log.indexOf("applying"));
    expect(log.indexOf("records b")).toBeGreaterThan(-1);
    expect(log.indexOf("records b")).toBeLessThan(bPushing);
    for (const dataset of ["a", "b"]) {
      expect(Object.keys(await reader.dataset(dataset).getAll())).toHaveLength(7);
      expect(recordsCalls(server, dataset)).toBe(3);
      expect(progress.filter((event) => (event as { dataset: string }).dataset === dataset)).toEqual([
        { dataset, fetched: 3, total: 7 },
        { dataset, fetched: 6, total: 7 },
        { dataset, fetched: 7, total: 7 },
      ]);
    }
  });

  it("pulls a dataset again when a write to it went out after its pull was fetched ahead", async () => {
    const server = await serverWith(["a", "b"], 2);
    let reader: SyncClient | undefined;
    let wrote = false;
    const transport = recordsHook(server, async (args) => {
      // The app writes to b while a's pull is on its way: b's pull, fetched next, is then stale.
      if (args.dataset === "a" && !wrote) {
        wrote = true;
        await reader!.dataset("b").put("mine", "local");
      }
    });
    reader = track(memoryClient(server, { transport }));
    await reader.signIn();
    await reader.sync();

    expect(recordsCalls(server, "b")).toBe(2);
    expect(await reader.dataset("b").getAll()).toEqual({ k0: "b0", k1: "b1", mine: "local" });
    expect(await reader.dataset("b").pendingCount()).toBe(0);
    expect(server.dataset("b").records.get("mine")?.value).toBe("local");
    // The cursor stands at the count after the push: the next sync pulls from there.
    const before = recordsCalls(server, "b");
    await reader.dataset("b").sync();
    const last = server.calls.filter((call) => call.method === "records").at(-1)!.args[1] as RecordsArgs;
    expect(recordsCalls(server, "b")).toBe(before + 1);
    expect(last.sinceSyncCount).toBe(server.dataset("b").syncCount);
  });

  it("fails only the dataset whose pull fetched ahead failed, and the next sync brings it", async () => {
    const server = await serverWith(["a", "b", "c"], 2);
    let failed = false;
    const transport = recordsHook(server, (args) => {
      if (args.dataset === "b" && !failed) {
        failed = true;
        throw new NetworkError("connection reset");
      }
    });
    const reader = track(memoryClient(server, { transport }));
    const errors: Array<string | undefined> = [];
    reader.on("syncError", (event) => errors.push(event.dataset));
    await reader.signIn();
    await expect(reader.sync()).rejects.toBeInstanceOf(NetworkError);
    expect(errors).toEqual(["b"]);
    expect(await reader.dataset("a").getAll()).toEqual({ k0: "a0", k1: "a1" });
    expect(await reader.dataset("c").getAll()).toEqual({ k0: "c0", k1: "c1" });
    expect(await reader.dataset("b").getAll()).toEqual({});
    await reader.sync();
    expect(await reader.dataset("b").getAll()).toEqual({ k0: "b0", k1: "b1" });
  });
});
