/**
 * The storage's nested-write check (a write called from inside another write's callback throws
 * instead of waiting for itself forever) is on unless `NODE_ENV=production`, where the server spares
 * its cost: following each write's async context puts a hook on every promise of the process.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ServerConfig } from "../../server/config.js";
import { writeInsideWrite } from "../conformance/storage-fixtures.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

describe("the server's nested-write check", () => {
  const servers: InProcessServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  async function nestedWrite(config: Partial<ServerConfig>): ReturnType<typeof writeInsideWrite> {
    const server = await startInProcessServer({ config });
    servers.push(server);
    return writeInsideWrite(server.storage, "inner");
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
