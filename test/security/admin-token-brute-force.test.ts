/**
 * Guessing the admin token: an address that keeps sending wrong tokens is locked out with a
 * growing delay (the right token included, so guessing gains nothing while locked), and a short,
 * guessable admin token is refused at start-up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-brute-force-tests-0123456789";
const ADMIN_QUERY = `{ identities(identityPoolId: "default", first: 1) { nextCursor } }`;

describe("admin token brute force", () => {
  let server: InProcessServer;
  let clockMs = Date.parse("2030-01-01T00:00:00Z");
  const admin = async (token: string) => (await server.gql(ADMIN_QUERY, {}, token)).errors?.[0]?.extensions ?? null;
  const guess = (n: number) => `wrong-guess-${n}-`.padEnd(40, "x");

  beforeAll(async () => {
    server = await startInProcessServer({ config: { adminToken: ADMIN_TOKEN }, now: () => clockMs });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("locks an address out after five wrong tokens, refuses even the right one while locked, and doubles the delay", async () => {
    for (let n = 1; n <= 5; n++) expect(await admin(guess(n))).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await admin(ADMIN_TOKEN)).toBeNull(); // free attempts left nothing behind once the right token came

    for (let n = 1; n <= 6; n++) await admin(guess(n));
    expect(await admin(ADMIN_TOKEN)).toMatchObject({ code: "RATE_LIMITED", reason: "ADMIN_LOCKOUT", retryAfterMs: 1000 });
    expect(await admin(guess(7))).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 1000 });

    clockMs += 1000;
    expect(await admin(guess(8))).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await admin(ADMIN_TOKEN)).toMatchObject({ code: "RATE_LIMITED", reason: "ADMIN_LOCKOUT", retryAfterMs: 2000 });

    clockMs += 2000;
    expect(await admin(ADMIN_TOKEN)).toBeNull();
    // The success cleared the record: the next wrong token is a free attempt again.
    expect(await admin(guess(9))).toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("caps the lockout at 15 minutes", async () => {
    for (let n = 1; n <= 40; n++) {
      await admin(guess(n));
      clockMs += 15 * 60_000;
    }
    await admin(guess(41));
    expect(await admin(ADMIN_TOKEN)).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 15 * 60_000 });
    clockMs += 15 * 60_000;
    expect(await admin(ADMIN_TOKEN)).toBeNull();
  });

  it("refuses an admin token shorter than 32 characters at start-up, naming the variable", () => {
    const start = () => loadConfig({ SYNCPOOL_ADMIN_TOKEN: "sixteen-chars-ok-but-31-chars-x" });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/SYNCPOOL_ADMIN_TOKEN: expected at least 32 characters/);
    expect(loadConfig({ SYNCPOOL_ADMIN_TOKEN: "x".repeat(32) }).adminToken).toBe("x".repeat(32));
  });
});
