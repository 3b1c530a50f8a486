/**
 * Cognito's triggers as in-process modules (written to a temporary directory, as Lambda handlers
 * are written), proven through the AWS SDK and unmodified Amplify: pre sign-up confirms trusted
 * sign-ups and refuses others, custom message words the mail (read from a real SMTP server), post
 * confirmation runs after the code, pre authentication refuses a suspended user, post
 * authentication that never answers ends at the time limit, pre token generation (V1) adds a
 * claim and a group that Amplify's fetchAuthSession sees, user migration lets users of an old
 * system sign in (and reset their password) and then exist, and custom auth asks a question.
 * Each trigger's event is checked against Cognito's shape. Runs on SQLite and PostgreSQL.
 * Binds a port: the SDK and Amplify send their own HTTP requests.
 */
import { join } from "node:path";
import {
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  GetUserCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Amplify } from "aws-amplify";
import { confirmSignIn, fetchAuthSession, signIn, signOut } from "aws-amplify/auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import { startMailCatcher, type MailCatcher } from "../helpers/mail-catcher.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { userPoolsConfig } from "../helpers/user-pool-clients.js";
import { recordedEvents, writeTriggerModules } from "../helpers/user-pool-trigger-modules.js";

const POOL = "local_triggers";
const CLIENT = "modules";
const PASSWORD = "Correct-horse-9";

const DEVELOPER = { accessKeyId: "AKIATRIGGERSADMIN001", secretAccessKey: "user-pool-triggers-developer-secret-0123" };

const dir = writeTriggerModules();
let mails: string[] = [];
let smtp: MailCatcher | undefined;
let server: TestServer;
let cognito: CognitoIdentityProviderClient;
/** Signed with the linked identity pool's developer credentials, for the Admin* operations. */
let developer: CognitoIdentityProviderClient;

freshAmplifyForThisFile();
beforeAll(async () => {
  smtp = await startMailCatcher();
  mails = smtp.mails;
  const module = (name: string) => join(dir, name);
  const pool = {
    id: POOL,
    clients: [{ id: CLIENT }],
    identityPool: "default",
    triggers: {
      preSignUp: module("pre-sign-up.mjs"),
      postConfirmation: module("post-confirmation.mjs"),
      preAuthentication: module("pre-authentication.mjs"),
      postAuthentication: { module: module("post-authentication.mjs"), timeoutMs: 300 },
      preTokenGeneration: module("pre-token-generation.mjs"),
      customMessage: module("custom-message.mjs"),
      userMigration: module("user-migration.mjs"),
      defineAuthChallenge: module("define-auth-challenge.mjs"),
      createAuthChallenge: module("create-auth-challenge.mjs"),
      verifyAuthChallengeResponse: module("verify-auth-challenge.mjs"),
    },
  };
  const smtpUrl = smtp.url;
  const identityPool = poolSettingsSchema.parse({ id: "default", developerCredentials: DEVELOPER });
  server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test", [pool], smtpUrl), pools: [identityPool] } });
  const endpoint = `${server.url}/aws/cognito-idp`;
  cognito = new CognitoIdentityProviderClient({ region: "local", endpoint, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
  developer = new CognitoIdentityProviderClient({ region: "local", endpoint, requestHandler: new NodeHttpHandler(), maxAttempts: 1, credentials: DEVELOPER });
  Amplify.configure({ Auth: { Cognito: { userPoolId: POOL, userPoolClientId: CLIENT, userPoolEndpoint: `${server.url}/aws/cognito-idp`, loginWith: { username: true, email: true } } } });
});
afterAll(async () => {
  cognito?.destroy();
  developer?.destroy();
  await server?.close();
  await smtp?.close();
});

/** The newest mail to `to`, waiting for it to arrive. */
async function mailTo(to: string, after: number): Promise<string> {
  await expect.poll(() => mails.slice(after).some((mail) => mail.includes(to)), { timeout: 15_000 }).toBe(true);
  return mails.slice(after).filter((mail) => mail.includes(to)).at(-1)!;
}
const codeIn = (mail: string) => /\b(\d{6})\b/.exec(mail)![1]!;

/** Signs `username` up with `attributes` and confirms it with the mailed code. */
async function signUpConfirmed(username: string, attributes: Record<string, string> = {}): Promise<void> {
  const seen = mails.length;
  const email = `${username}@example.com`;
  const UserAttributes = Object.entries({ email, ...attributes }).map(([Name, Value]) => ({ Name, Value }));
  await cognito.send(new SignUpCommand({ ClientId: CLIENT, Username: username, Password: PASSWORD, UserAttributes }));
  await cognito.send(new ConfirmSignUpCommand({ ClientId: CLIENT, Username: username, ConfirmationCode: codeIn(await mailTo(email, seen)) }));
}

const passwordSignIn = (username: string, password = PASSWORD) =>
  cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } }));

/** The name and message of what `work` rejects with. */
const refusal = (work: Promise<unknown>) => work.then(() => ({ name: "none", message: "" }), (error: Error) => ({ name: error.name, message: error.message }));

const eventsOf = (triggerSource: string, userName: string) => recordedEvents(dir).filter((event) => event["triggerSource"] === triggerSource && event["userName"] === userName);

describe("user-pool triggers as modules", { timeout: 60_000 }, () => {
  it("passes pre sign-up Cognito's event, and a trusted sign-up it confirms can sign in at once", async () => {
    const signedUp = await cognito.send(
      new SignUpCommand({
        ClientId: CLIENT,
        Username: "tara",
        Password: PASSWORD,
        UserAttributes: [{ Name: "email", Value: "tara@trusted.example" }],
        ValidationData: [{ Name: "invite", Value: "abc" }],
        ClientMetadata: { source: "tests" },
      }),
    );
    expect(signedUp.UserConfirmed).toBe(true);
    expect(signedUp.CodeDeliveryDetails).toBeUndefined();
    expect(eventsOf("PreSignUp_SignUp", "tara")).toEqual([
      {
        version: "1",
        triggerSource: "PreSignUp_SignUp",
        region: "local",
        userPoolId: POOL,
        userName: "tara",
        callerContext: { awsSdkVersion: expect.any(String), clientId: CLIENT },
        request: { userAttributes: { email: "tara@trusted.example" }, validationData: { invite: "abc" }, clientMetadata: { source: "tests" } },
        response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
      },
    ]);
    const { AuthenticationResult: tokens } = await passwordSignIn("tara@trusted.example");
    const user = await cognito.send(new GetUserCommand({ AccessToken: tokens!.AccessToken! }));
    expect(user.UserAttributes).toContainEqual({ Name: "email_verified", Value: "true" });
  });

  it("refuses a sign-up pre sign-up rejects with UserLambdaValidationException and stores no user", async () => {
    const refused = await refusal(cognito.send(new SignUpCommand({ ClientId: CLIENT, Username: "blocked-bob", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "bob@example.com" }] })));
    expect(refused).toEqual({ name: "UserLambdaValidationException", message: "PreSignUp failed with error Sign-ups from this name are closed." });
    expect(await server.storage.userPools.getUser(POOL, "blocked-bob")).toBeNull();
  });

  it("mails the sign-up code in the custom message's words, and runs post confirmation once the code confirms", async () => {
    const seen = mails.length;
    await cognito.send(new SignUpCommand({ ClientId: CLIENT, Username: "carl", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "carl@example.com" }] }));
    const mail = await mailTo("carl@example.com", seen);
    expect(mail).toContain("Subject: Welcome to Example Notes");
    expect(mail).toMatch(/Hello carl, your Example Notes code is \d{6}\./);
    const [message] = eventsOf("CustomMessage_SignUp", "carl");
    expect(message).toMatchObject({ request: { codeParameter: "{####}", userAttributes: { email: "carl@example.com", "cognito:user_status": "UNCONFIRMED" } } });
    expect(JSON.stringify(message)).not.toContain(codeIn(mail));

    await cognito.send(new ConfirmSignUpCommand({ ClientId: CLIENT, Username: "carl", ConfirmationCode: codeIn(mail), ClientMetadata: { step: "confirm" } }));
    expect(eventsOf("PostConfirmation_ConfirmSignUp", "carl")).toEqual([
      expect.objectContaining({ request: { userAttributes: expect.objectContaining({ "cognito:user_status": "CONFIRMED", email_verified: "true", sub: expect.any(String) }), clientMetadata: { step: "confirm" } } }),
    ]);
  });

  it("refuses a custom message without the code's placeholder with InvalidLambdaResponseException, leaving no half-created user", async () => {
    const signUp = (metadata?: Record<string, string>) =>
      cognito.send(new SignUpCommand({ ClientId: CLIENT, Username: "dana", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "dana@example.com" }], ClientMetadata: metadata }));
    expect(await refusal(signUp({ template: "broken" }))).toEqual({ name: "InvalidLambdaResponseException", message: "Unrecognizable lambda output" });
    expect(await server.storage.userPools.getUser(POOL, "dana")).toBeNull();
    expect(await signUp()).toMatchObject({ UserConfirmed: false });
  });

  it("ends a sign-in pre authentication refuses with Cognito's message, by password and by SRP", async () => {
    await signUpConfirmed("eve", { "custom:banned": "yes" });
    expect(await refusal(passwordSignIn("eve"))).toEqual({ name: "UserLambdaValidationException", message: "PreAuthentication failed with error This account is suspended." });
    expect(await refusal(signIn({ username: "eve", password: PASSWORD }))).toEqual({ name: "UserLambdaValidationException", message: "PreAuthentication failed with error This account is suspended." });
    expect(eventsOf("PreAuthentication_Authentication", "eve")[0]).toMatchObject({ request: { userAttributes: { "custom:banned": "yes" }, userNotFound: false } });
  });

  it("ends a sign-in whose post authentication never answers with UnexpectedLambdaException at the time limit", async () => {
    await signUpConfirmed("stu", { "custom:stuck": "yes" });
    // The trigger never answers: only its 300 ms limit can end the sign-in, and the message says that
    // it did. (No stopwatch here: argon2id hashing alone takes seconds on a busy machine.)
    expect(await refusal(passwordSignIn("stu"))).toEqual({ name: "UnexpectedLambdaException", message: "PostAuthentication invocation failed due to error Socket timeout while invoking Lambda function." });
  });

  it("adds the claims and groups pre token generation returns, which Amplify's fetchAuthSession sees, and keeps the claims no trigger may change", async () => {
    await signUpConfirmed("gina", { "custom:plan": "family" });
    // Amplify's USER_PASSWORD_AUTH: the tokens are what this proves, and Amplify's SRP costs ten times the CPU.
    await signIn({ username: "gina", password: PASSWORD, options: { authFlowType: "USER_PASSWORD_AUTH" } });
    const { tokens, userSub } = await fetchAuthSession();
    expect(tokens!.idToken!.payload).toMatchObject({ plan: "family", sub: userSub, token_use: "id", iss: `http://user-pool.test/aws/cognito-idp/${POOL}`, "cognito:groups": ["beta-testers"] });
    expect(tokens!.idToken!.payload["custom:plan"]).toBeUndefined();
    expect(tokens!.accessToken.payload).toMatchObject({ "cognito:groups": ["beta-testers"], token_use: "access" });
    expect(tokens!.accessToken.payload["plan"]).toBeUndefined();
    expect(eventsOf("TokenGeneration_Authentication", "gina")[0]).toMatchObject({
      version: "1",
      request: { userAttributes: { "custom:plan": "family" }, groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null } },
    });
    expect(eventsOf("PostAuthentication_Authentication", "gina")).toHaveLength(1);
    await signOut();
  });

  it("lets a user of the old system sign in through user migration, after which the user exists", async () => {
    expect(await refusal(passwordSignIn("legacy-lee", "Wrong-password-1"))).toEqual({ name: "NotAuthorizedException", message: "Incorrect username or password." });
    expect(await server.storage.userPools.getUser(POOL, "legacy-lee")).toBeNull();
    const { AuthenticationResult: tokens } = await passwordSignIn("legacy-lee", "Old-password-1");
    const user = await cognito.send(new GetUserCommand({ AccessToken: tokens!.AccessToken! }));
    expect(Object.fromEntries(user.UserAttributes!.map((attribute) => [attribute.Name, attribute.Value]))).toMatchObject({ email: "lee@example.com", email_verified: "true", "custom:plan": "legacy" });
    await passwordSignIn("lee@example.com", "Old-password-1");
    expect(eventsOf("UserMigration_Authentication", "legacy-lee").map((event) => event["request"])).toEqual([
      { password: "(given)", validationData: {}, clientMetadata: {} },
      { password: "(given)", validationData: {}, clientMetadata: {} },
    ]);
  });

  it("migrates a user of the old system who resets the password, then runs post confirmation", async () => {
    const seen = mails.length;
    expect(await cognito.send(new ForgotPasswordCommand({ ClientId: CLIENT, Username: "legacy-kim" }))).toMatchObject({ CodeDeliveryDetails: { DeliveryMedium: "EMAIL" } });
    expect(await server.storage.userPools.getUser(POOL, "legacy-kim")).toMatchObject({ status: "RESET_REQUIRED" });
    const code = codeIn(await mailTo("kim@example.com", seen));
    await cognito.send(new ConfirmForgotPasswordCommand({ ClientId: CLIENT, Username: "legacy-kim", ConfirmationCode: code, Password: "New-password-3" }));
    expect(eventsOf("PostConfirmation_ConfirmForgotPassword", "legacy-kim")).toHaveLength(1);
    expect((await passwordSignIn("legacy-kim", "New-password-3")).AuthenticationResult?.IdToken).toEqual(expect.any(String));
  });

  it("signs in through Amplify's custom challenge flow, with the challenge history in define's session", async () => {
    await signUpConfirmed("quinn");
    const asked = await signIn({ username: "quinn", options: { authFlowType: "CUSTOM_WITHOUT_SRP" } });
    expect(asked.nextStep).toMatchObject({ signInStep: "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE", additionalInfo: { question: "What is 6 times 7?" } });
    const again = await confirmSignIn({ challengeResponse: "41" });
    expect(again.nextStep.signInStep).toBe("CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE");
    expect(await confirmSignIn({ challengeResponse: "42" })).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    expect((await fetchAuthSession()).tokens?.accessToken.payload["username"]).toBe("quinn");
    expect(eventsOf("DefineAuthChallenge_Authentication", "quinn").at(-1)!["request"]["session"]).toEqual([
      { challengeName: "CUSTOM_CHALLENGE", challengeResult: false, challengeMetadata: "QUESTION-1" },
      { challengeName: "CUSTOM_CHALLENGE", challengeResult: true, challengeMetadata: "QUESTION-2" },
    ]);
    await signOut();
  });

  it("fails a custom sign-in after three wrong answers, and refuses an answered session", async () => {
    await signUpConfirmed("rita");
    let answer = await cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "CUSTOM_AUTH", AuthParameters: { USERNAME: "rita" } }));
    const respond = (session: string, reply: string) =>
      cognito.send(new RespondToAuthChallengeCommand({ ClientId: CLIENT, ChallengeName: "CUSTOM_CHALLENGE", Session: session, ChallengeResponses: { USERNAME: "rita", ANSWER: reply } }));
    const first = answer.Session!;
    answer = await respond(first, "1");
    expect(await refusal(respond(first, "42"))).toEqual({ name: "NotAuthorizedException", message: "Invalid session for the user, session can only be used once." });
    answer = await respond(answer.Session!, "2");
    expect(await refusal(respond(answer.Session!, "3"))).toEqual({ name: "NotAuthorizedException", message: "Incorrect username or password." });
  });

  it("runs pre sign-up and the invitation's custom message for AdminCreateUser, and post confirmation for AdminConfirmSignUp", async () => {
    const create = (username: string, metadata?: Record<string, string>) =>
      developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: username, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }], ClientMetadata: metadata }));
    expect(await refusal(create("blocked-admin"))).toEqual({ name: "UserLambdaValidationException", message: "PreSignUp failed with error Sign-ups from this name are closed." });
    expect(eventsOf("PreSignUp_AdminCreateUser", "blocked-admin")[0]).toMatchObject({ callerContext: { clientId: "CLIENT_ID_NOT_APPLICABLE" } });

    const seen = mails.length;
    await create("olga");
    const mail = await mailTo("olga@example.com", seen);
    expect(mail).toContain("Subject: Your Example Notes account");
    expect(mail).toMatch(/Sign in to Example Notes as olga with \S+\./);
    expect(eventsOf("CustomMessage_AdminCreateUser", "olga")[0]).toMatchObject({ request: { codeParameter: "{####}", usernameParameter: "{username}" } });

    expect(await refusal(create("pat", { template: "broken" }))).toEqual({ name: "InvalidLambdaResponseException", message: "Unrecognizable lambda output" });
    expect(await server.storage.userPools.getUser(POOL, "pat")).toBeNull();

    await cognito.send(new SignUpCommand({ ClientId: CLIENT, Username: "uma", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "uma@example.com" }] }));
    await developer.send(new AdminConfirmSignUpCommand({ UserPoolId: POOL, Username: "uma" }));
    expect(eventsOf("PostConfirmation_ConfirmSignUp", "uma")).toEqual([expect.objectContaining({ callerContext: expect.objectContaining({ clientId: "CLIENT_ID_NOT_APPLICABLE" }) })]);
  });
});
