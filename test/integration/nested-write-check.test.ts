/**
 * The storage's nested-write check (a write called from inside another write's callback throws
 * instead of waiting for itself forever) is on unless `NODE_ENV=production`, where the server spares
 * its cost: following each write's async context puts a hook on every promise of the process.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ServerConfig } from "../../server/config.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const IDENTITY = "local:00000000-0000-4000-8000-000000000001";

describe("the server's nested-write check", () => {
  const servers: InProcessServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  /** Starts a write from inside another's callback without awaiting it there, and says how it ended. */
  async function nestedWrite(config: Partial<ServerConfig>): Promise<{ order: string[]; inner: PromiseSettledResult<string> }> {
    const server = await startInProcessServer({ config });
    servers.push(server);
    const { datasets } = server.storage;
    const order: string[] = [];
    let inner: Promise<PromiseSettledResult<string>[]> | undefined;
    await datasets.writeDataset(IDENTITY, "outer", async () => {
      inner = Promise.allSettled([datasets.writeDataset(IDENTITY, "inner", async () => (order.push("inner"), "inner"))]);
      order.push("outer");
    });
    return { order, inner: (await inner!)[0]! };
  }

  it("refuses a write started inside another outside production", async () => {
    const { order, inner } = await nestedWrite({});
    expect(inner.status).toBe("rejected");
    expect(String((inner as PromiseRejectedResult).reason)).toMatch(/not reentrant/);
    expect(order).toEqual(["outer"]);
  });

  it("queues it behind the outer write with NODE_ENV=production", async () => {
    const { order, inner } = await nestedWrite({ production: true });
    expect(inner).toEqual({ status: "fulfilled", value: "inner" });
    expect(order).toEqual(["outer", "inner"]);
  });
});
