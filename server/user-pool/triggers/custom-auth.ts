/**
 * The CUSTOM_AUTH flow, run by the pool's three challenge triggers as Cognito runs them: define
 * (given the challenges so far, decides: issue tokens, fail, or ask a CUSTOM_CHALLENGE), create
 * (the challenge's public parameters for the client, private ones for checking the answer), verify
 * (was the ANSWER right). The history and the private parameters travel in the sealed `Session`
 * (`sealed-session.ts`), so no state is kept between calls; each Session is answered once,
 * whichever instance receives it (`answered-sessions.ts`), and presented again is refused as Cognito
 * refuses a used session. Once define says `issueTokens`, the
 * sign-in ends as every sign-in does (`completeSignIn`: status, MFA, tokens). Only
 * CUSTOM_CHALLENGE rounds are built: a define that asks for SRP first is refused.
 */
import type { UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import { openSession, sealSession } from "../sealed-session.js";
import { CHALLENGE_SESSION_MS, completeSignIn, type SignInAnswer } from "../sign-in-session.js";
import type { LoadedClient, UserPoolDeps } from "../user-pool-deps.js";
import { UserPoolError, usedSession, wrongCredentials } from "../user-pool-errors.js";
import { findUser, requiredString, type Body } from "../user-pool-input.js";
import { answerOnce } from "../answered-sessions.js";
import { preAuthentication } from "./auth-triggers.js";
import { stringMap, triggerAttributes } from "./user-pool-triggers.js";

const CUSTOM_SESSION = "user-pool:custom-challenge";
/** Sessions carry the history, so they may be longer than other challenges' (Cognito's limit is 2048). */
const MAX_SESSION_CHARS = 8192;

/** One answered challenge, as Define and Create see it in `request.session`. */
interface ChallengeResult {
  challengeName: string;
  challengeResult: boolean;
  challengeMetadata?: string;
}

interface CustomSession extends Record<string, unknown> {
  p: string;
  c: string;
  s: string;
  h: ChallengeResult[];
  /** privateChallengeParameters of the challenge asked. */
  q: Record<string, string>;
  m: string | null;
}

const invalid = () => new UserPoolError("InvalidLambdaResponseException", "Unrecognizable lambda output");
const expired = () => new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");

/** InitiateAuth CUSTOM_AUTH. */
export async function startCustomAuth(deps: UserPoolDeps, loaded: LoadedClient, name: string, body: Body): Promise<SignInAnswer> {
  if (!deps.triggers.has(loaded.pool.settings.id, "defineAuthChallenge")) throw new UserPoolError("InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool.");
  const user = await findUser(deps, loaded.pool, name);
  if (user === null || !user.enabled) throw wrongCredentials();
  await preAuthentication(deps, loaded, user, body["ClientMetadata"]);
  return nextStep(deps, loaded, user, [], body["ClientMetadata"]);
}

/** RespondToAuthChallenge CUSTOM_CHALLENGE. */
export async function answerCustomChallenge(deps: UserPoolDeps, loaded: LoadedClient, body: Body, responses: Record<string, unknown>): Promise<SignInAnswer> {
  const sealed = requiredString(body, "Session", MAX_SESSION_CHARS);
  const now = deps.now();
  const session = openSession<CustomSession>(deps.sessionKey, CUSTOM_SESSION, sealed, now);
  if (session === null || session.c !== loaded.client.id || session.p !== loaded.pool.settings.id) throw expired();
  const answer = responses["ANSWER"];
  if (typeof answer !== "string") throw new UserPoolError("InvalidParameterException", "Missing required parameter ANSWER");
  // Before any trigger runs: a replayed Session, here or at another instance, is refused.
  if (!(await answerOnce(deps, session.p, sealed, session.exp))) throw usedSession();
  const user = await deps.store.getUserBySub(session.p, session.s);
  if (user === null || !user.enabled) throw expired();
  const verified = await deps.triggers.run(session.p, "verifyAuthChallengeResponse", {
    triggerSource: "VerifyAuthChallengeResponse_Authentication",
    userName: user.username,
    clientId: loaded.client.id,
    request: { userAttributes: triggerAttributes(user), privateChallengeParameters: session.q, challengeAnswer: answer, clientMetadata: stringMap(body["ClientMetadata"]) ?? {}, userNotFound: false },
    response: { answerCorrect: null },
  });
  const correct = verified?.["answerCorrect"] ?? false;
  if (typeof correct !== "boolean") throw invalid();
  const result: ChallengeResult = { challengeName: "CUSTOM_CHALLENGE", challengeResult: correct, ...(session.m === null ? {} : { challengeMetadata: session.m }) };
  return nextStep(deps, loaded, user, [...session.h, result], body["ClientMetadata"]);
}

/** Asks define what comes after `history`, and acts on it. */
async function nextStep(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes, history: ChallengeResult[], clientMetadata: unknown): Promise<SignInAnswer> {
  const poolId = loaded.pool.settings.id;
  const common = { userName: user.username, clientId: loaded.client.id };
  const request = { userAttributes: triggerAttributes(user), session: history, clientMetadata: stringMap(clientMetadata) ?? {}, userNotFound: false };
  const defined = await deps.triggers.run(poolId, "defineAuthChallenge", {
    ...common,
    triggerSource: "DefineAuthChallenge_Authentication",
    request,
    response: { challengeName: null, issueTokens: null, failAuthentication: null },
  });
  if (defined?.["failAuthentication"] === true) throw wrongCredentials();
  if (defined?.["issueTokens"] === true) return completeSignIn(deps, loaded, user);
  if (defined?.["challengeName"] !== "CUSTOM_CHALLENGE") throw invalid();
  const created = await deps.triggers.run(poolId, "createAuthChallenge", {
    ...common,
    triggerSource: "CreateAuthChallenge_Authentication",
    request: { ...request, challengeName: "CUSTOM_CHALLENGE" },
    response: { publicChallengeParameters: null, privateChallengeParameters: null, challengeMetadata: null },
  });
  const publicParameters = stringParameters(created?.["publicChallengeParameters"]);
  const privateParameters = stringParameters(created?.["privateChallengeParameters"]);
  const metadata = created?.["challengeMetadata"] ?? null;
  if (metadata !== null && typeof metadata !== "string") throw invalid();
  const payload: CustomSession = { p: poolId, c: loaded.client.id, s: user.sub, h: history, q: privateParameters, m: metadata };
  const session = sealSession(deps.sessionKey, CUSTOM_SESSION, payload, deps.now() + CHALLENGE_SESSION_MS);
  if (session.length > MAX_SESSION_CHARS) throw invalid();
  return { ChallengeName: "CUSTOM_CHALLENGE", Session: session, ChallengeParameters: { ...publicParameters, USERNAME: user.username } };
}

/** A map of string values (Cognito's challenge parameters); absent is empty. */
function stringParameters(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value) || Object.values(value).some((entry) => typeof entry !== "string")) throw invalid();
  return value as Record<string, string>;
}
