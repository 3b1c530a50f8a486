/**
 * A challenge answered once is answered for good: an SRP PASSWORD_VERIFIER answer (its SECRET_BLOCK)
 * and a CUSTOM_CHALLENGE answer (its Session) replayed to the instance that took the first answer
 * are refused with Cognito's NotAuthorizedException, while an answer sent once signs in. The
 * answered sessions are rows in the database (`answered-sessions.ts`), which the purge schedule
 * forgets once they expire. Runs on SQLite and PostgreSQL; the same refusals across two servers on
 * one PostgreSQL database are `user-pool-replay-instances.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/logger.js";
import { schedulePurge } from "../../server/purge-schedule.js";
import { call, customChallenge, refusedAs, replayPoolConfig, srpAnswer, startReplayServer, USED_SESSION, WRONG_PASSWORD } from "../helpers/replay-pool.js";
import type { InProcessServer } from "../helpers/server.js";

let first: InProcessServer;

beforeAll(async () => {
  first = await startReplayServer(replayPoolConfig());
});
afterAll(async () => {
  await first?.close();
});

/** base64 spelled as base64url without padding: the same bytes, another string. */
const respelled = (base64: string) => base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

// SRP's big-number arithmetic and argon2id hashing on a busy machine: more than vitest's 5 s.
describe("answered challenges on one instance", { timeout: 60_000 }, () => {
  it("signs in with an SRP answer sent once and refuses it replayed, however its SECRET_BLOCK is spelled", async () => {
    const answer = await srpAnswer(first);
    const signedIn = await call(first, "RespondToAuthChallenge", answer);
    expect(signedIn.body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
    expect(refusedAs(await call(first, "RespondToAuthChallenge", answer))).toEqual(WRONG_PASSWORD);
    const block = answer.ChallengeResponses.PASSWORD_CLAIM_SECRET_BLOCK!;
    expect(respelled(block)).not.toBe(block);
    const again = { ...answer, ChallengeResponses: { ...answer.ChallengeResponses, PASSWORD_CLAIM_SECRET_BLOCK: respelled(block) } };
    expect(refusedAs(await call(first, "RespondToAuthChallenge", again))).toEqual(WRONG_PASSWORD);
  });

  it("signs in with a custom challenge answered once and refuses the answered Session, after a right answer and after a wrong one", async () => {
    const answer = await customChallenge(first);
    const wrong = await call(first, "RespondToAuthChallenge", answer("41"));
    expect(wrong.body["ChallengeName"]).toBe("CUSTOM_CHALLENGE");
    expect(refusedAs(await call(first, "RespondToAuthChallenge", answer("42")))).toEqual(USED_SESSION);
    const right = await call(first, "RespondToAuthChallenge", answer("42", wrong.body["Session"] as string));
    expect(right.body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
    expect(refusedAs(await call(first, "RespondToAuthChallenge", answer("42", wrong.body["Session"] as string)))).toEqual(USED_SESSION);
  });

  it("forgets answered sessions on the purge schedule once they have expired, and not before", async () => {
    await call(first, "RespondToAuthChallenge", await srpAnswer(first));
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } });
    const purgedCount = () => lines.map((line) => JSON.parse(line) as { msg: string; count?: number }).find((line) => line.msg === "purged answered user-pool challenge sessions")?.count;
    // Now: every session answered in this file is still live, so none is forgotten.
    schedulePurge(first.storage, 24, () => Date.now(), logger)();
    expect(await first.storage.userPools.purgeUsedChallengeSessions(Date.now())).toBe(0);
    // Four minutes on, past every session's three: the schedule's first run forgets them all.
    schedulePurge(first.storage, 24, () => Date.now() + 4 * 60_000, logger)();
    await expect.poll(purgedCount).toBeGreaterThanOrEqual(3);
    expect(await first.storage.userPools.purgeUsedChallengeSessions(Date.now() + 4 * 60_000)).toBe(0);
  });
});
