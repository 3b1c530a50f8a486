/**
 * The example config ships a webhook secret printed in the docs, so anyone could forge the
 * webhook's signatures. The documented commands keep working on a developer's machine, but a
 * server in production (NODE_ENV=production) or listening beyond loopback refuses to start with
 * any secret the docs print, naming the field.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.js";

const EXAMPLE_CONFIG = resolve(import.meta.dirname, "../../examples/stream/syncpool.json");
const WEBHOOK_FIELD = "pools[0].stream.webhooks[0].secret";

describe("example secrets outside development", () => {
  const dir = mkdtempSync(join(tmpdir(), "syncpool-example-secret-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const configWith = (pool: Record<string, unknown>) => {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ pools: [{ id: "app", ...pool }] }));
    return file;
  };
  const refusal = (load: () => unknown) => {
    try {
      load();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("the config was accepted");
  };

  it("starts the documented example on this machine, with a warning naming the field", () => {
    const config = loadConfig({ SYNCPOOL_CONFIG: EXAMPLE_CONFIG });
    expect(config.pools[0]!.stream.webhooks).toHaveLength(1);
    expect(config.warnings.join("\n")).toContain(WEBHOOK_FIELD);
  });

  it("refuses the example's webhook secret with NODE_ENV=production", () => {
    expect(refusal(() => loadConfig({ SYNCPOOL_CONFIG: EXAMPLE_CONFIG, NODE_ENV: "production" }))).toContain(`${WEBHOOK_FIELD}: this is an example secret`);
  });

  it("refuses it when the server listens beyond loopback", () => {
    expect(refusal(() => loadConfig({ SYNCPOOL_CONFIG: EXAMPLE_CONFIG, HOST: "0.0.0.0" }))).toContain(WEBHOOK_FIELD);
    expect(refusal(() => loadConfig({ SYNCPOOL_CONFIG: EXAMPLE_CONFIG }, { host: "192.168.1.10" }))).toContain(WEBHOOK_FIELD);
  });

  it("refuses the docs' trigger and webhook placeholder too", () => {
    const file = configWith({
      syncTrigger: { url: "https://hooks.example.com/sync", secret: "at-least-16-characters", timeoutMs: 5000 },
      stream: { webhooks: [{ name: "audit", url: "https://hooks.example.com/syncpool", secret: "at-least-16-characters", timeoutMs: 10000 }] },
    });
    const message = refusal(() => loadConfig({ SYNCPOOL_CONFIG: file, NODE_ENV: "production" }));
    expect(message).toContain("pools[0].syncTrigger.secret");
    expect(message).toContain(WEBHOOK_FIELD);
  });

  it("accepts a generated secret in production", () => {
    const file = configWith({ stream: { webhooks: [{ name: "audit", url: "https://hooks.example.com/e", secret: "9f2c1e7a5b3d4c6e8a0b1d2f3e4a5b6c" }] } });
    expect(loadConfig({ SYNCPOOL_CONFIG: file, NODE_ENV: "production", HOST: "0.0.0.0" }).warnings).toEqual([]);
  });
});
