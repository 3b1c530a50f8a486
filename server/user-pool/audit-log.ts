/**
 * The user pool's audit log: every auth event of a user (sign-in, failure, sign-up, password
 * change and reset, MFA change, refresh-token reuse, an administrator's change) is stored for
 * AdminListUserAuthEvents and appended to the event stream in the same transaction
 * (`storage.authEvents`), so consumers and replays see exactly the events the API lists.
 *
 * The stream is the one of the identity pool the user pool is linked to (`identityPool`), with
 * the user as partition key (`cognito-idp/<userPoolId>/<sub>`), so one shard holds a user's events
 * in order; a user pool linked to none appends to a stream named by its own id. docs/events.md
 * documents the body; change both together.
 */
import { randomBytes } from "node:crypto";
import type { AuthEventStore } from "../storage/auth-event-store.js";
import { shardOf } from "../stream/shard.js";

/** Cognito's EventType values, and ours for what Cognito does not name. */
export type AuthEventKind =
  | "SignIn"
  | "SignUp"
  | "ForgotPassword"
  | "PasswordChange"
  | "ResendCode"
  | "DeleteUser"
  | "SignOut"
  | "UpdateUserAttributes"
  | "MfaChange"
  | "PasskeyChange"
  | "TokenReuse"
  | "AdminChange";

/** Cognito's ChallengeResponseType. */
export interface ChallengeResponse {
  ChallengeName: "Password" | "Mfa";
  ChallengeResponse: "Success" | "Failure";
}

/** What happened, as the call site knows it. */
export interface AuthEventInput {
  type: AuthEventKind;
  response: "Pass" | "Fail" | "InProgress";
  challenges?: ChallengeResponse[];
  /** The API operation that caused it, e.g. `InitiateAuth`. */
  apiName: string;
  /** The exception name of a refusal, e.g. `NotAuthorizedException`. */
  errorType?: string;
}

/** Where the request came from (Cognito's EventContextData; no city or country: nothing here looks addresses up). */
export interface AuthEventContext {
  ipAddress: string;
  deviceName: string | null;
}

/** Whose event it is. */
export interface AuthEventSubject {
  poolId: string;
  sub: string;
  username: string;
}

/** The audit log of one request: its context is bound in. */
export interface RequestAuditLog {
  /** Stores the event and appends it to the stream, in one transaction. */
  record(subject: AuthEventSubject, event: AuthEventInput): Promise<void>;
  /** The user's stored events, newest first (`AuthEventStore.listAuthEvents`). */
  list: AuthEventStore["listAuthEvents"];
}

/** What the log is built from. */
export interface AuditLogDeps {
  store: AuthEventStore;
  /** The identity pool (null: none) whose stream a user pool's events go to, by user-pool id. */
  linkedIdentityPoolOf(userPoolId: string): string | null;
  /** The shard count of an identity pool's stream, or null when there is no such pool. */
  streamShardsOf(identityPoolId: string): Promise<number | null>;
  /** Told after each append, so consumers in this process look at once. */
  onAppended(): void;
  now: () => number;
}

/** The shard count of a stream named by a user pool that no identity pool takes. */
const OWN_STREAM_SHARDS = 1;

/** Builds the log; `forRequest` binds one request's context. */
export function createAuditLog(deps: AuditLogDeps) {
  return {
    forRequest(context: AuthEventContext | null): RequestAuditLog {
      return { record: (subject, event) => recordAuthEvent(deps, subject, event, context), list: (...args) => deps.store.listAuthEvents(...args) };
    },
  };
}

async function recordAuthEvent(deps: AuditLogDeps, subject: AuthEventSubject, event: AuthEventInput, context: AuthEventContext | null): Promise<void> {
  const now = deps.now();
  const eventId = nextEventId(now);
  const authEvent = {
    EventId: eventId,
    EventType: event.type,
    // Epoch seconds with a fraction, as Cognito's JSON carries timestamps.
    CreationDate: now / 1000,
    EventResponse: event.response,
    EventRisk: { RiskDecision: "NoRisk", CompromisedCredentialsDetected: false },
    ChallengeResponses: event.challenges ?? [],
    ...(context === null ? {} : { EventContextData: { IpAddress: context.ipAddress, ...(context.deviceName === null ? {} : { DeviceName: context.deviceName }) } }),
  };
  const linked = deps.linkedIdentityPoolOf(subject.poolId);
  const linkedShards = linked === null ? null : await deps.streamShardsOf(linked);
  const streamPoolId = linked !== null && linkedShards !== null ? linked : subject.poolId;
  const partitionKey = `cognito-idp/${subject.poolId}/${subject.sub}`;
  const body = {
    eventSource: "cognito-idp",
    identityPoolId: streamPoolId,
    userPoolId: subject.poolId,
    username: subject.username,
    sub: subject.sub,
    apiName: event.apiName,
    ...(event.errorType === undefined ? {} : { errorType: event.errorType }),
    authEvent,
  };
  await deps.store.appendAuthEvent(
    { poolId: subject.poolId, sub: subject.sub, eventId, createdAt: now, data: JSON.stringify(authEvent) },
    { poolId: streamPoolId, shard: shardOf(partitionKey, linkedShards ?? OWN_STREAM_SHARDS), partitionKey, arrivedAt: now, data: JSON.stringify(body) },
  );
  deps.onAppended();
}

let lastIdMs = 0;
let idSequence = 0;

/**
 * A UUIDv7 (RFC 9562): the time in its first 48 bits, then a counter, so ids of one process sort
 * in the order their events happened even within one millisecond; listings break time ties by id.
 */
function nextEventId(nowMs: number): string {
  if (nowMs > lastIdMs) {
    lastIdMs = nowMs;
    idSequence = 0;
  } else {
    idSequence += 1;
    if (idSequence > 0xfff) {
      lastIdMs += 1; // more than 4096 events in one millisecond: borrow the next one
      idSequence = 0;
    }
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastIdMs, 0, 6);
  bytes[6] = 0x70 | (idSequence >> 8);
  bytes[7] = idSequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
