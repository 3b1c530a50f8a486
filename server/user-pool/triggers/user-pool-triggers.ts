/**
 * The triggers of every served pool, and the one way the user-pool operations call them: `run`
 * builds Cognito's event (`{version, triggerSource, region, userPoolId, userName, callerContext:
 * {awsSdkVersion, clientId}, request, response}`), calls the pool's trigger (`trigger-call.ts`), and
 * gives back the `response` of what it returned. A handler may return the whole event, as Lambda
 * handlers do, or just its response. A pool without the trigger gets null, and the operation goes
 * on as Cognito's does without one.
 */
import { dirname } from "node:path";
import type { Logger } from "../../logger.js";
import type { PostSigned } from "../../stream/post-signed.js";
import type { UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import type { UserPoolSettings } from "../user-pool-config.js";
import { UserPoolError } from "../user-pool-errors.js";
import type { TriggerName } from "./trigger-config.js";
import { createTriggerCall, type TriggerCall } from "./trigger-call.js";

/** What one trigger call is about. */
export interface TriggerInput {
  triggerSource: string;
  userName: string;
  /** The app client of the request (`callerContext.clientId`). */
  clientId: string;
  request: Record<string, unknown>;
  /** The event's `response` before the trigger fills it (Cognito sends its fields as null or false). */
  response?: Record<string, unknown>;
}

/** The triggers of the served pools. */
export interface UserPoolTriggers {
  /** Whether `poolId` names trigger `name`. */
  has(poolId: string, name: TriggerName): boolean;
  /** Pre token generation's event version of the pool ("1", "2" or "3"). */
  tokenVersionOf(poolId: string): "1" | "2" | "3";
  /**
   * Calls the trigger and resolves with the `response` it gave (an object), or null when the pool
   * has no such trigger. Rejects with UserLambdaValidationException, UnexpectedLambdaException or
   * InvalidLambdaResponseException.
   */
  run(poolId: string, name: TriggerName, input: TriggerInput): Promise<Record<string, unknown> | null>;
}

/** What the triggers are built from. */
export interface UserPoolTriggersOptions {
  pools: readonly UserPoolSettings[];
  /** The config file, whose directory module paths are relative to; null: the working directory. */
  configFile: string | null;
  post: PostSigned;
  now: () => number;
  logger: Logger;
}

/** Cognito's `callerContext.awsSdkVersion` when the caller's SDK is not known. */
const UNKNOWN_SDK = "aws-sdk-unknown-unknown";

/** Builds the triggers; modules load at their first call. */
export function createUserPoolTriggers(options: UserPoolTriggersOptions): UserPoolTriggers {
  const logger = options.logger.child({ component: "user-pool-triggers" });
  const deps = { baseDir: options.configFile ? dirname(options.configFile) : process.cwd(), post: options.post, now: options.now, logger };
  const calls = new Map<string, TriggerCall>();
  const versions = new Map<string, "1" | "2" | "3">();
  for (const pool of options.pools) {
    for (const [name, settings] of Object.entries(pool.triggers) as Array<[TriggerName, NonNullable<UserPoolSettings["triggers"][TriggerName]>]>) {
      calls.set(`${pool.id}/${name}`, createTriggerCall(name, settings, deps));
      if (name === "preTokenGeneration") versions.set(pool.id, settings.version === "V3_0" ? "3" : settings.version === "V2_0" ? "2" : "1");
    }
  }
  return {
    has: (poolId, name) => calls.has(`${poolId}/${name}`),
    tokenVersionOf: (poolId) => versions.get(poolId) ?? "1",
    async run(poolId, name, input) {
      const call = calls.get(`${poolId}/${name}`);
      if (call === undefined) return null;
      const event = {
        version: name === "preTokenGeneration" ? (versions.get(poolId) ?? "1") : "1",
        triggerSource: input.triggerSource,
        region: poolId.split("_")[0]!,
        userPoolId: poolId,
        userName: input.userName,
        callerContext: { awsSdkVersion: UNKNOWN_SDK, clientId: input.clientId },
        request: input.request,
        response: input.response ?? {},
      };
      const answer = await call(event);
      const response = "triggerSource" in answer || "request" in answer ? answer["response"] : answer;
      if (response === undefined || response === null) return {};
      if (typeof response !== "object" || Array.isArray(response)) throw new UserPoolError("InvalidLambdaResponseException", "Unrecognizable lambda output");
      return response as Record<string, unknown>;
    },
  };
}

/** A user's attributes as triggers see them: `sub`, Cognito's `cognito:user_status`, then the stored ones. */
export function triggerAttributes(user: UserPoolUserWithAttributes): Record<string, string> {
  return { sub: user.sub, "cognito:user_status": user.status, ...user.attributes };
}

/** `body[field]` as a string map (ClientMetadata, ValidationData as a map), or undefined. */
export function stringMap(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    // ValidationData is a list of {Name, Value}.
    const entries = value.filter((entry): entry is { Name: string; Value: string } => typeof entry?.Name === "string" && typeof entry?.Value === "string");
    return Object.fromEntries(entries.map((entry) => [entry.Name, entry.Value]));
  }
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
