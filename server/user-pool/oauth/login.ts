/**
 * The hosted UI's sign-in: the form's POST runs the user pool's own sign-in (`initiateAuth`
 * USER_PASSWORD_AUTH, then `respondToAuthChallenge` SOFTWARE_TOKEN_MFA for users with TOTP), so
 * the page obeys exactly the API's rules: lockout, user status, MFA, rehashing. Its session and
 * first refresh token go into the authorization code (`authorization-code.ts`); the tokens that
 * sign-in signed are not used (the code's exchange signs tokens with the granted scopes).
 * For a confidential client the server computes the SECRET_HASH itself: the page is the server's.
 * A user who must first set a new password or set up MFA is told to do so in the app.
 */
import { createHmac } from "node:crypto";
import { decodeJwt } from "jose";
import { initiateAuth, respondToAuthChallenge } from "../initiate-auth.js";
import { startSession, type SignInAnswer } from "../sign-in-session.js";
import type { AuthenticationResult } from "../user-pool-tokens.js";
import type { LoadedClient, UserPoolDeps } from "../user-pool-deps.js";
import { UserPoolError } from "../user-pool-errors.js";
import type { AuthorizeRequest } from "./authorize-request.js";
import { issueCode } from "./authorization-code.js";
import type { HostedSession } from "./hosted-cookies.js";

/** What a form submission led to. */
export type LoginOutcome =
  | { kind: "signed-in"; sub: string; originJti: string; code: string }
  | { kind: "mfa"; username: string; session: string; error?: string }
  | { kind: "refused"; message: string; username: string };

const secretHashOf = ({ client }: LoadedClient, username: string) =>
  client.secret === undefined ? {} : { SECRET_HASH: createHmac("sha256", client.secret).update(`${username}${client.id}`).digest("base64") };

/** The fields of a submitted form. */
export interface LoginFields {
  username: string;
  password: string | null;
  code: string | null;
  session: string | null;
}

/** Runs the form's step for `request`'s client; see the module comment. */
export async function submitLogin(deps: UserPoolDeps, request: AuthorizeRequest, fields: LoginFields): Promise<LoginOutcome> {
  const { loaded } = request;
  const auth = { ClientId: loaded.client.id };
  const mfaStep = fields.session !== null;
  let answer: SignInAnswer;
  try {
    answer = mfaStep
      ? await respondToAuthChallenge(deps, { ...auth, ChallengeName: "SOFTWARE_TOKEN_MFA", Session: fields.session, ChallengeResponses: { USERNAME: fields.username, SOFTWARE_TOKEN_MFA_CODE: fields.code ?? "", ...secretHashOf(loaded, fields.username) } })
      : await initiateAuth(deps, { ...auth, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: fields.username, PASSWORD: fields.password ?? "", ...secretHashOf(loaded, fields.username) } });
  } catch (error) {
    if (!(error instanceof UserPoolError)) throw error;
    if (mfaStep && error.type === "CodeMismatchException") return { kind: "mfa", username: fields.username, session: fields.session!, error: "The code is not right. Try the current code." };
    return { kind: "refused", message: messageOf(error), username: fields.username };
  }
  if ("AuthenticationResult" in answer) return signedIn(deps, request, answer.AuthenticationResult);
  if (answer.ChallengeName === "SOFTWARE_TOKEN_MFA" && answer.Session !== undefined) return { kind: "mfa", username: fields.username, session: answer.Session };
  const what = answer.ChallengeName === "NEW_PASSWORD_REQUIRED" ? "set a new password" : "set up an authenticator app";
  return { kind: "refused", message: `This account must first ${what} in the app before it can sign in here.`, username: fields.username };
}

/**
 * A new session for the user of a live hosted session (the page's single sign-on), and its code;
 * null when the page's sign-in was revoked or the user can no longer sign in.
 */
export async function resumeHostedSession(deps: UserPoolDeps, request: AuthorizeRequest, hosted: HostedSession): Promise<string | null> {
  const signIn = await deps.store.getSession(hosted.o);
  if (signIn === null || signIn.revokedAt !== null || signIn.sub !== hosted.s) return null;
  const user = await deps.store.getUserBySub(request.loaded.pool.settings.id, hosted.s);
  if (user === null || !user.enabled || user.status !== "CONFIRMED") return null;
  return codeFor(deps, request, await startSession(deps, request.loaded, user));
}

async function signedIn(deps: UserPoolDeps, request: AuthorizeRequest, result: AuthenticationResult): Promise<LoginOutcome> {
  const claims = decodeJwt(result.AccessToken);
  return { kind: "signed-in", sub: claims.sub!, originJti: claims["origin_jti"] as string, code: await codeFor(deps, request, result) };
}

function codeFor(deps: UserPoolDeps, request: AuthorizeRequest, result: AuthenticationResult): Promise<string> {
  const claims = decodeJwt(result.AccessToken);
  return issueCode(deps, request, claims.sub!, claims["origin_jti"] as string, result.RefreshToken!);
}

/** What the page says for a refusal (Cognito's messages; an unexpected type reads as a wrong password). */
function messageOf(error: UserPoolError): string {
  switch (error.type) {
    case "UserNotConfirmedException":
    case "PasswordResetRequiredException":
    case "TooManyFailedAttemptsException":
    case "LimitExceededException":
      return error.message;
    case "NotAuthorizedException":
      return error.message.startsWith("Invalid session") ? "The sign-in took too long. Enter your username and password again." : error.message;
    default:
      return "Incorrect username or password.";
  }
}
