/**
 * Which calls of the user-pool API are auth events, whose they are, and how they ended: the one
 * place the audit log (`audit-log.ts`) hears about operations, so the operations themselves stay
 * free of it. The user is found before the call (a deleted user, a signed-out token can no longer
 * be found after it), except for SignUp, whose user exists only after it. Calls that name no
 * existing user (an unknown username, a forged token) record nothing: an audit log is per user.
 *
 * Refresh-token reuse is recorded where it is detected (`refresh-tokens.ts`): the refresh token
 * names no user the call could show.
 */
import type { AuthEventInput, AuthEventKind, AuthEventSubject, ChallengeResponse } from "./audit-log.js";
import type { UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { findUser, type Body } from "./user-pool-input.js";
import { verifyAccessToken } from "./user-pool-tokens.js";

type Outcome = { ok: true; result: Record<string, unknown> } | { ok: false; errorType: string };

/** How one operation becomes an event: where its user is named, and what it says. */
interface AuditRule {
  subject: "clientUsername" | "accessToken" | "adminUsername";
  /** The username field: `Username`, or the key of a parameter map. */
  username?: (body: Body) => unknown;
  event(body: Body, outcome: Outcome): Omit<AuthEventInput, "apiName" | "errorType"> | null;
}

const PASSWORD_OK: ChallengeResponse = { ChallengeName: "Password", ChallengeResponse: "Success" };
const PASSWORD_WRONG: ChallengeResponse = { ChallengeName: "Password", ChallengeResponse: "Failure" };
const MFA_OK: ChallengeResponse = { ChallengeName: "Mfa", ChallengeResponse: "Success" };
const MFA_WRONG: ChallengeResponse = { ChallengeName: "Mfa", ChallengeResponse: "Failure" };

const field = (name: string) => (body: Body) => body[name];
const inMap = (map: string, name: string) => (body: Body) => {
  const value = body[map];
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined;
};

/** Pass, Fail, or (for a sign-in that answered with a further challenge) InProgress. */
const responseOf = (outcome: Outcome): AuthEventInput["response"] => {
  if (!outcome.ok) return "Fail";
  return outcome.result["AuthenticationResult"] === undefined && typeof outcome.result["ChallengeName"] === "string" ? "InProgress" : "Pass";
};

const simple = (type: AuthEventKind, whenOk: AuthEventInput["response"] = "Pass") => (_body: Body, outcome: Outcome) => ({ type, response: outcome.ok ? whenOk : ("Fail" as const) });

/** A password checked: Success unless it was refused as wrong. */
const passwordSignIn = (_body: Body, outcome: Outcome) => ({
  type: "SignIn" as const,
  response: responseOf(outcome),
  challenges: [outcome.ok || outcome.errorType !== "NotAuthorizedException" ? PASSWORD_OK : PASSWORD_WRONG],
});

const RULES: Record<string, AuditRule> = {
  SignUp: { subject: "clientUsername", event: (_body, outcome) => (outcome.ok ? { type: "SignUp", response: outcome.result["UserConfirmed"] === true ? "Pass" : "InProgress" } : null) },
  ConfirmSignUp: { subject: "clientUsername", event: simple("SignUp") },
  ResendConfirmationCode: { subject: "clientUsername", event: simple("ResendCode") },
  ForgotPassword: { subject: "clientUsername", event: simple("ForgotPassword", "InProgress") },
  ConfirmForgotPassword: { subject: "clientUsername", event: simple("ForgotPassword") },
  InitiateAuth: {
    subject: "clientUsername",
    username: inMap("AuthParameters", "USERNAME"),
    // USER_SRP_AUTH's first step proves nothing yet: its PASSWORD_VERIFIER answer is the event. Refreshes are not sign-ins.
    event: (body, outcome) => {
      const passwordFirst = body["AuthFlow"] === "USER_AUTH" && inMap("AuthParameters", "PREFERRED_CHALLENGE")(body) === "PASSWORD" && inMap("AuthParameters", "PASSWORD")(body) !== undefined;
      return body["AuthFlow"] === "USER_PASSWORD_AUTH" || passwordFirst ? passwordSignIn(body, outcome) : null;
    },
  },
  RespondToAuthChallenge: {
    subject: "clientUsername",
    username: inMap("ChallengeResponses", "USERNAME"),
    event: (body, outcome) => {
      switch (body["ChallengeName"]) {
        case "PASSWORD_VERIFIER":
        case "NEW_PASSWORD_REQUIRED":
          return passwordSignIn(body, outcome);
        case "SOFTWARE_TOKEN_MFA":
        case "EMAIL_OTP":
        case "SMS_MFA":
          return { type: "SignIn", response: responseOf(outcome), challenges: [PASSWORD_OK, outcome.ok ? MFA_OK : MFA_WRONG] };
        case "MFA_SETUP":
          // Answered with an email address, MFA_SETUP only sends the code: the EMAIL_OTP answer is the event.
          if (inMap("ChallengeResponses", "EMAIL")(body) !== undefined) return null;
          return { type: "SignIn", response: responseOf(outcome), challenges: [PASSWORD_OK, outcome.ok ? MFA_OK : MFA_WRONG] };
        case "SELECT_CHALLENGE":
          return inMap("ChallengeResponses", "ANSWER")(body) === "PASSWORD" ? passwordSignIn(body, outcome) : null;
        case "CUSTOM_CHALLENGE":
        case "WEB_AUTHN":
          // A custom challenge or a passkey is neither of Cognito's challenge names (Password, Mfa): no ChallengeResponses.
          return { type: "SignIn", response: responseOf(outcome) };
        default:
          return null;
      }
    },
  },
  AdminInitiateAuth: {
    subject: "adminUsername",
    username: inMap("AuthParameters", "USERNAME"),
    event: (body, outcome) => (body["AuthFlow"] === "ADMIN_USER_PASSWORD_AUTH" || body["AuthFlow"] === "ADMIN_NO_SRP_AUTH" ? passwordSignIn(body, outcome) : null),
  },
  ChangePassword: { subject: "accessToken", event: simple("PasswordChange") },
  DeleteUser: { subject: "accessToken", event: simple("DeleteUser") },
  GlobalSignOut: { subject: "accessToken", event: simple("SignOut") },
  UpdateUserAttributes: { subject: "accessToken", event: simple("UpdateUserAttributes") },
  AssociateSoftwareToken: { subject: "accessToken", event: simple("MfaChange", "InProgress") },
  VerifySoftwareToken: { subject: "accessToken", event: simple("MfaChange") },
  SetUserMFAPreference: { subject: "accessToken", event: simple("MfaChange") },
  CompleteWebAuthnRegistration: { subject: "accessToken", event: simple("PasskeyChange") },
  DeleteWebAuthnCredential: { subject: "accessToken", event: simple("PasskeyChange") },
};

/** The developer's operations that only read: every other `Admin*` operation naming a user is an AdminChange. */
const ADMIN_READS = new Set(["AdminGetUser", "AdminListGroupsForUser", "AdminListUserAuthEvents", "AdminListDevices", "AdminGetDevice"]);
const ADMIN_CHANGE: AuditRule = { subject: "adminUsername", event: simple("AdminChange") };

// The developer's answer to a challenge is recorded as the client's is.
RULES["AdminRespondToAuthChallenge"] = { ...RULES["RespondToAuthChallenge"]!, subject: "adminUsername" };

const ruleOf = (name: string): AuditRule | null =>
  Object.hasOwn(RULES, name) ? RULES[name]! : name.startsWith("Admin") && !ADMIN_READS.has(name) ? ADMIN_CHANGE : null;

async function subjectOf(deps: UserPoolDeps, rule: AuditRule, body: Body): Promise<AuthEventSubject | null> {
  if (rule.subject === "accessToken") {
    try {
      const { user } = await verifyAccessToken(deps, body["AccessToken"]);
      return user;
    } catch {
      return null; // a token the operation will refuse as well: no one's event
    }
  }
  const name = (rule.username ?? field("Username"))(body);
  if (typeof name !== "string" || name.length === 0 || name.length > 128) return null;
  const pool = rule.subject === "adminUsername" ? deps.pools.get(String(body["UserPoolId"])) : deps.clients.get(String(body["ClientId"]))?.pool;
  if (pool === undefined) return null;
  // SRP answers may name the user by its sub (USER_ID_FOR_SRP is the username here, but clients differ).
  return (await findUser(deps, pool, name)) ?? (await deps.store.getUserBySub(pool.settings.id, name));
}

/**
 * Runs operation `name` and records its auth event, if it is one (see the module comment). The
 * operation's answer or refusal is returned unchanged; a failure to record is thrown, because an
 * audit log that silently misses events is worse than a refused call.
 */
export async function auditedOperation(deps: UserPoolDeps, name: string, body: Body, run: () => Promise<unknown>): Promise<unknown> {
  const rule = ruleOf(name);
  if (rule === null || !mayRecord(rule, body)) return run();
  const before = name === "SignUp" ? null : await subjectOf(deps, rule, body);
  let outcome: Outcome;
  let result: unknown;
  try {
    result = await run();
    outcome = { ok: true, result: (result ?? {}) as Record<string, unknown> };
  } catch (error) {
    if (!(error instanceof UserPoolError)) throw error;
    outcome = { ok: false, errorType: error.type };
    await record(deps, rule, name, body, before, outcome);
    throw error;
  }
  await record(deps, rule, name, body, before ?? (await subjectOf(deps, rule, body)), outcome);
  return result;
}

/**
 * Whether `body` can make an event, whichever way the call ends: USER_SRP_AUTH's first step, a
 * refresh or an MFA_SETUP that only sends a code cannot, so the user is not looked up for them.
 */
const mayRecord = (rule: AuditRule, body: Body): boolean =>
  rule.event(body, { ok: true, result: {} }) !== null || rule.event(body, { ok: false, errorType: "NotAuthorizedException" }) !== null;

async function record(deps: UserPoolDeps, rule: AuditRule, name: string, body: Body, subject: AuthEventSubject | null, outcome: Outcome): Promise<void> {
  const event = rule.event(body, outcome);
  if (subject === null || event === null) return;
  await deps.audit.record({ poolId: subject.poolId, sub: subject.sub, username: subject.username }, { ...event, apiName: name, ...(outcome.ok ? {} : { errorType: outcome.errorType }) });
}
