/**
 * A challenge answered once is answered for good: an SRP PASSWORD_VERIFIER answer (its SECRET_BLOCK)
 * and a CUSTOM_CHALLENGE answer (its Session) replayed are refused with Cognito's
 * NotAuthorizedException, on the instance that took the first answer and, with two servers on one
 * PostgreSQL database, on the other; an answer sent once signs in wherever it goes. The answered
 * sessions are rows in the database (`answered-sessions.ts`), which the purge schedule forgets once
 * they expire. Runs on SQLite and PostgreSQL; the two-instance tests on PostgreSQL only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { createLogger } from "../../server/logger.js";
import { schedulePurge } from "../../server/purge-schedule.js";
import { startInProcessServer, testBackend, type InProcessServer } from "../helpers/server.js";
import { srpChallenge } from "../helpers/srp-answer.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";
import { writeTriggerModules } from "../helpers/user-pool-trigger-modules.js";

const POOL = "local_replay";
const CLIENT = "replay";
const PASSWORD = "Correct-horse-9";
const dir = writeTriggerModules();
const module = (name: string) => join(dir, name);
const config = {
  userPools: userPoolsConfig("http://user-pool.test", [
    {
      id: POOL,
      clients: [{ id: CLIENT }],
      triggers: {
        defineAuthChallenge: module("define-auth-challenge.mjs"),
        createAuthChallenge: module("create-auth-challenge.mjs"),
        verifyAuthChallengeResponse: module("verify-auth-challenge.mjs"),
      },
    },
  ]),
};
let first: InProcessServer;

beforeAll(async () => {
  first = await startInProcessServer({ config });
  await call(first, "SignUp", { ClientId: CLIENT, Username: "ada", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "ada@example.com" }] });
  await call(first, "ConfirmSignUp", { ClientId: CLIENT, Username: "ada", ConfirmationCode: await codeFromLog(first.dataDir, "ada", "SIGN_UP") });
});
afterAll(async () => {
  await first?.close();
});

const call = (server: InProcessServer, operation: string, body: unknown) => callUserPool(server.testFetch, server.url, operation, body);
const srpAnswer = async (server: InProcessServer) => (await srpChallenge({ send: server.testFetch, baseUrl: server.url, clientId: CLIENT, poolName: "replay" }, "ada", PASSWORD))(new Date());
/** A CUSTOM_AUTH challenge's Session and the body answering it with `reply`. */
async function customChallenge(server: InProcessServer) {
  const started = await call(server, "InitiateAuth", { ClientId: CLIENT, AuthFlow: "CUSTOM_AUTH", AuthParameters: { USERNAME: "ada" } });
  expect(started.body["ChallengeName"]).toBe("CUSTOM_CHALLENGE");
  const session = started.body["Session"] as string;
  return (reply: string, answered = session) => ({ ClientId: CLIENT, ChallengeName: "CUSTOM_CHALLENGE", Session: answered, ChallengeResponses: { USERNAME: "ada", ANSWER: reply } });
}
const refusedAs = (answer: { status: number; type: string | undefined; header: string | null; body: Record<string, any> }) => ({
  status: answer.status,
  type: answer.type,
  header: answer.header,
  message: answer.body["message"],
  tokens: answer.body["AuthenticationResult"] !== undefined,
});
const WRONG_PASSWORD = { status: 400, type: "NotAuthorizedException", header: "NotAuthorizedException", message: "Incorrect username or password.", tokens: false };
const EXPIRED_SESSION = { status: 400, type: "NotAuthorizedException", header: "NotAuthorizedException", message: "Invalid session for the user, session is expired.", tokens: false };
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
    expect(refusedAs(await call(first, "RespondToAuthChallenge", answer("42")))).toEqual(EXPIRED_SESSION);
    const right = await call(first, "RespondToAuthChallenge", answer("42", wrong.body["Session"] as string));
    expect(right.body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
    expect(refusedAs(await call(first, "RespondToAuthChallenge", answer("42", wrong.body["Session"] as string)))).toEqual(EXPIRED_SESSION);
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

// Two servers on one PostgreSQL database, as instances behind a balancer without sticky sessions.
describe.runIf(testBackend === "postgres")("answered challenges across two instances", { timeout: 60_000 }, () => {
  let second: InProcessServer;
  beforeAll(async () => {
    // The same data directory: the same database schema and master key, so the same session keys.
    second = await startInProcessServer({ config, dataDir: first.dataDir });
  });
  afterAll(async () => {
    await second?.close();
  });

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
    expect(refusedAs(await call(second, "RespondToAuthChallenge", answer("42")))).toEqual(EXPIRED_SESSION);
  });

  it("signs in exactly once when one SRP answer reaches both instances at the same moment", async () => {
    const answer = await srpAnswer(second);
    const answers = await Promise.all([call(first, "RespondToAuthChallenge", answer), call(second, "RespondToAuthChallenge", answer)]);
    expect(answers.filter((reply) => reply.body["AuthenticationResult"] !== undefined)).toHaveLength(1);
    expect(answers.filter((reply) => reply.type === "NotAuthorizedException")).toHaveLength(1);
  });
});
