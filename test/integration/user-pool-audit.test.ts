/**
 * The user pool's audit log end to end, through the real `@aws-sdk/client-cognito-identity-provider`:
 * sign-ups, sign-ins that fail and pass, password changes and resets, MFA changes, refresh-token
 * reuse and a developer's group change are each one event, listed by AdminListUserAuthEvents
 * (SigV4, the identity pool's developer credentials) newest first in Cognito's AuthEventType shape,
 * a page at a time; the same events are in the linked identity pool's stream, where an in-process
 * consumer receives them and a reader can replay them from the oldest. Binds a port: the SDK sends
 * its own HTTP requests, and the events carry the caller's address.
 */
import {
  AdminAddUserToGroupCommand,
  AdminListUserAuthEventsCommand,
  type AuthEventType,
  ChangePasswordCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  CreateGroupCommand,
  ForgotPasswordCommand,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamRecord } from "../../server/stream/consumer.js";
import type { TestServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi, waitFor } from "../helpers/stream-api.js";
import { callUserPool, codeFromLog } from "../helpers/user-pool-clients.js";
import { startUserPoolSdkServer, type UserPoolSdkServer } from "../helpers/user-pool-sdk-server.js";

const POOL = "local_default";
const CLIENT = "default";
const PASSWORD = "Correct-horse-9";
const DEVELOPER = { accessKeyId: "AKIAUSERPOOLAUDIT001", secretAccessKey: "user-pool-audit-developer-secret-0123456789" };

let pool: UserPoolSdkServer;
let server: TestServer;
let cognito: CognitoIdentityProviderClient;
let developer: CognitoIdentityProviderClient;
const consumed: StreamRecord[] = [];

beforeAll(async () => {
  pool = await startUserPoolSdkServer({
    developerCredentials: DEVELOPER,
    config: { adminToken: ADMIN_TOKEN },
    serverOptions: { handlers: [{ name: "audit-consumer", pools: ["default"], handle: (record) => void consumed.push(record) }] },
  });
  ({ server, cognito, developer } = pool);
});
afterAll(async () => pool?.close());

const signUpConfirmed = (username: string) => pool.signUpConfirmed(username, PASSWORD, CLIENT);

const signIn = (username: string, password = PASSWORD) =>
  cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } }));

async function allEvents(username: string, maxResults?: number): Promise<AuthEventType[]> {
  const events: AuthEventType[] = [];
  let nextToken: string | undefined;
  do {
    const page = await developer.send(new AdminListUserAuthEventsCommand({ UserPoolId: POOL, Username: username, ...(maxResults ? { MaxResults: maxResults } : {}), ...(nextToken ? { NextToken: nextToken } : {}) }));
    events.push(...page.AuthEvents!);
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return events;
}

const summary = (events: AuthEventType[]) => events.map((event) => [event.EventType, event.EventResponse, (event.ChallengeResponses ?? []).map((c) => `${c.ChallengeName}:${c.ChallengeResponse}`).join(",")]);

describe("the user pool's audit log", { timeout: 60_000 }, () => {
  it("lists every auth event of a user newest first, in Cognito's shape, with the caller's address", async () => {
    await signUpConfirmed("ada");
    await expect(signIn("ada", "Wrong-horse-9")).rejects.toMatchObject({ name: "NotAuthorizedException" });
    const tokens = (await signIn("ada")).AuthenticationResult!;
    await cognito.send(new ChangePasswordCommand({ AccessToken: tokens.AccessToken!, PreviousPassword: "Not-the-password-1", ProposedPassword: "Battery-staple-7" })).catch(() => undefined);
    await cognito.send(new ChangePasswordCommand({ AccessToken: tokens.AccessToken!, PreviousPassword: PASSWORD, ProposedPassword: "Battery-staple-7" }));
    await cognito.send(new ForgotPasswordCommand({ ClientId: CLIENT, Username: "ada" }));
    const code = await codeFromLog(server.dataDir, "ada", "FORGOT_PASSWORD");
    await cognito.send(new ConfirmForgotPasswordCommand({ ClientId: CLIENT, Username: "ada", ConfirmationCode: code!, Password: PASSWORD }));

    const events = await allEvents("ada");
    expect(summary(events)).toEqual([
      ["ForgotPassword", "Pass", ""],
      ["ForgotPassword", "InProgress", ""],
      ["PasswordChange", "Pass", ""],
      ["PasswordChange", "Fail", ""],
      ["SignIn", "Pass", "Password:Success"],
      ["SignIn", "Fail", "Password:Failure"],
      ["SignUp", "Pass", ""],
      ["SignUp", "InProgress", ""],
    ]);
    const newest = events[0]!;
    expect(newest.EventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newest.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(newest.CreationDate!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(newest.EventRisk).toEqual({ RiskDecision: "NoRisk", CompromisedCredentialsDetected: false });
    expect(newest.EventContextData?.IpAddress).toBe("127.0.0.1");
    const times = events.map((event) => event.CreationDate!.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("pages with MaxResults and NextToken without losing or repeating an event", async () => {
    const whole = await allEvents("ada");
    const paged = await allEvents("ada", 3);
    expect(paged.map((event) => event.EventId)).toEqual(whole.map((event) => event.EventId));
    const first = await developer.send(new AdminListUserAuthEventsCommand({ UserPoolId: POOL, Username: "ada", MaxResults: 3 }));
    expect(first.AuthEvents).toHaveLength(3);
    expect(first.NextToken).toEqual(expect.any(String));
  });

  it("records a refresh token presented again after rotation, an MFA change and a developer's group change", async () => {
    await signUpConfirmed("bob");
    const tokens = (await signIn("bob")).AuthenticationResult!;
    await cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: CLIENT, RefreshToken: tokens.RefreshToken! }));
    await expect(cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: CLIENT, RefreshToken: tokens.RefreshToken! }))).rejects.toMatchObject({ name: "RefreshTokenReuseException" });
    await developer.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "auditors" }));
    await developer.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, GroupName: "auditors", Username: "bob" }));
    const fresh = (await signIn("bob")).AuthenticationResult!;
    await callUserPool(fetch, server.url, "AssociateSoftwareToken", { AccessToken: fresh.AccessToken });

    expect(summary(await allEvents("bob")).slice(0, 4)).toEqual([
      ["MfaChange", "InProgress", ""],
      ["SignIn", "Pass", "Password:Success"],
      ["AdminChange", "Pass", ""],
      ["TokenReuse", "Fail", ""],
    ]);
  });

  it("records nothing for a username no user has, and nothing of one user in another's log", async () => {
    await expect(signIn("nobody-here")).rejects.toMatchObject({ name: "NotAuthorizedException" });
    const bobEvents = await allEvents("bob");
    expect(bobEvents.every((event) => event.EventType !== undefined)).toBe(true);
    const adaIds = new Set((await allEvents("ada")).map((event) => event.EventId));
    expect(bobEvents.some((event) => adaIds.has(event.EventId))).toBe(false);
  });

  it("appends the same events to the linked identity pool's stream, where consumers receive them and readers replay them", async () => {
    const listed = [...(await allEvents("ada")), ...(await allEvents("bob"))];
    const stream = streamApi({ graphqlUrl: server.graphqlUrl, testFetch: server.testFetch });
    const replayed = (await stream.readPool("default")).map((record) => record.data as { eventSource?: string; authEvent?: { EventId: string } });
    const streamed = replayed.filter((data) => data.eventSource === "cognito-idp").map((data) => data.authEvent!.EventId);
    expect(new Set(streamed)).toEqual(new Set(listed.map((event) => event.EventId)));
    expect(streamed).toHaveLength(listed.length);
    await waitFor(() => consumed.filter((record) => (record.data as { eventSource?: string }).eventSource === "cognito-idp").length >= listed.length, 10_000, "the consumer to receive every auth event");
    const adaRecord = consumed.find((record) => (record.data as unknown as { username: string }).username === "ada")!;
    expect(adaRecord.partitionKey).toMatch(/^cognito-idp\/local_default\/[0-9a-f-]{36}$/);
    expect(adaRecord.data).toMatchObject({ eventSource: "cognito-idp", identityPoolId: "default", userPoolId: POOL, username: "ada", apiName: expect.any(String) });
  });

  it("refuses unsigned, unknown-user and malformed listings with Cognito's exceptions", async () => {
    const unsigned = await callUserPool(fetch, server.url, "AdminListUserAuthEvents", { UserPoolId: POOL, Username: "ada" });
    expect({ status: unsigned.status, type: unsigned.type }).toEqual({ status: 403, type: "MissingAuthenticationTokenException" });
    await expect(developer.send(new AdminListUserAuthEventsCommand({ UserPoolId: POOL, Username: "nobody-here" }))).rejects.toMatchObject({ name: "UserNotFoundException" });
    await expect(developer.send(new AdminListUserAuthEventsCommand({ UserPoolId: POOL, Username: "ada", MaxResults: 61 }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(developer.send(new AdminListUserAuthEventsCommand({ UserPoolId: POOL, Username: "ada", NextToken: "not-a-token" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
  });
});
