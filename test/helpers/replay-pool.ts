/**
 * The pool of the answered-challenge replay tests, shared by the one-instance file and the
 * two-instance file: a client whose CUSTOM_AUTH runs the trigger modules of
 * `user-pool-trigger-modules.ts`, a confirmed user `ada`, the SRP and custom-challenge answers
 * built against a given server, and the two refusals a replay gets.
 */
import { join } from "node:path";
import { expect } from "vitest";
import { startInProcessServer, type InProcessServer } from "./server.js";
import { srpChallenge } from "./srp-answer.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "./user-pool-clients.js";
import { writeTriggerModules } from "./user-pool-trigger-modules.js";

const POOL = "local_replay";
const CLIENT = "replay";
const PASSWORD = "Correct-horse-9";

/** The server config with the replay pool; the trigger modules are written once per file. */
export function replayPoolConfig() {
  const dir = writeTriggerModules();
  const module = (name: string) => join(dir, name);
  return {
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
}

/** A server with the replay pool and `ada` signed up and confirmed on it. */
export async function startReplayServer(config: ReturnType<typeof replayPoolConfig>): Promise<InProcessServer> {
  const server = await startInProcessServer({ config });
  await call(server, "SignUp", { ClientId: CLIENT, Username: "ada", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "ada@example.com" }] });
  await call(server, "ConfirmSignUp", { ClientId: CLIENT, Username: "ada", ConfirmationCode: await codeFromLog(server.dataDir, "ada", "SIGN_UP") });
  return server;
}

/** One user-pool API call to `server`. */
export const call = (server: InProcessServer, operation: string, body: unknown) => callUserPool(server.testFetch, server.url, operation, body);

/** `ada`'s PASSWORD_VERIFIER answer to an SRP challenge started on `server`, signed now. */
export const srpAnswer = async (server: InProcessServer) => (await srpChallenge({ send: server.testFetch, baseUrl: server.url, clientId: CLIENT, poolName: "replay" }, "ada", PASSWORD))(new Date());

/** A CUSTOM_AUTH challenge's Session and the body answering it with `reply`. */
export async function customChallenge(server: InProcessServer) {
  const started = await call(server, "InitiateAuth", { ClientId: CLIENT, AuthFlow: "CUSTOM_AUTH", AuthParameters: { USERNAME: "ada" } });
  expect(started.body["ChallengeName"]).toBe("CUSTOM_CHALLENGE");
  const session = started.body["Session"] as string;
  return (reply: string, answered = session) => ({ ClientId: CLIENT, ChallengeName: "CUSTOM_CHALLENGE", Session: answered, ChallengeResponses: { USERNAME: "ada", ANSWER: reply } });
}

/** What a refusal is compared by: status, error type, message, and whether tokens came anyway. */
export const refusedAs = (answer: { status: number; type: string | undefined; header: string | null; body: Record<string, any> }) => ({
  status: answer.status,
  type: answer.type,
  header: answer.header,
  message: answer.body["message"],
  tokens: answer.body["AuthenticationResult"] !== undefined,
});

/** A replayed SRP answer's refusal. */
export const WRONG_PASSWORD = { status: 400, type: "NotAuthorizedException", header: "NotAuthorizedException", message: "Incorrect username or password.", tokens: false };
/** A replayed custom-challenge Session's refusal. */
export const USED_SESSION = { status: 400, type: "NotAuthorizedException", header: "NotAuthorizedException", message: "Invalid session for the user, session can only be used once.", tokens: false };
