/**
 * An answered challenge is refused on every instance, not only the one that took it: with two
 * servers on one PostgreSQL database, as instances behind a balancer without sticky sessions, an SRP
 * answer or custom-challenge Session answered on one is refused on the other, an answer sent only
 * to one signs in there, and one answer sent to both at once signs in exactly once. PostgreSQL only
 * (`postgresOnly` in vitest.config.ts); the one-instance refusals are `user-pool-replay.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, customChallenge, refusedAs, replayPoolConfig, srpAnswer, startReplayServer, USED_SESSION, WRONG_PASSWORD } from "../helpers/replay-pool.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

let first: InProcessServer;
let second: InProcessServer;

beforeAll(async () => {
  const config = replayPoolConfig();
  first = await startReplayServer(config);
  // The same data directory: the same database schema and master key, so the same session keys.
  second = await startInProcessServer({ config, dataDir: first.dataDir });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

// SRP's big-number arithmetic and argon2id hashing on a busy machine: more than vitest's 5 s.
describe("answered challenges across two instances", { timeout: 60_000 }, () => {
  it("refuses on the second instance an SRP answer the first took, and signs in there with one sent only there", async () => {
    const answer = await srpAnswer(first);
    expect((await call(first, "RespondToAuthChallenge", answer)).body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
    expect(refusedAs(await call(second, "RespondToAuthChallenge", answer))).toEqual(WRONG_PASSWORD);
    const elsewhere = await srpAnswer(first);
    expect((await call(second, "RespondToAuthChallenge", elsewhere)).body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
    expect(refusedAs(await call(first, "RespondToAuthChallenge", elsewhere))).toEqual(WRONG_PASSWORD);
  });

  it("refuses on the second instance a custom challenge Session the first took", async () => {
    const answer = await customChallenge(first);
    expect((await call(first, "RespondToAuthChallenge", answer("42"))).body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
    expect(refusedAs(await call(second, "RespondToAuthChallenge", answer("42")))).toEqual(USED_SESSION);
  });

  it("signs in exactly once when one SRP answer reaches both instances at the same moment", async () => {
    const answer = await srpAnswer(second);
    const answers = await Promise.all([call(first, "RespondToAuthChallenge", answer), call(second, "RespondToAuthChallenge", answer)]);
    expect(answers.filter((reply) => reply.body["AuthenticationResult"] !== undefined)).toHaveLength(1);
    expect(answers.filter((reply) => reply.type === "NotAuthorizedException")).toHaveLength(1);
  });
});
