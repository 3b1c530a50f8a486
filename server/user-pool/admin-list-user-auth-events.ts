/**
 * AdminListUserAuthEvents, the developer's reading of the audit log (`audit-log.ts`), signed as the
 * group operations are (`admin-auth.ts`): a user's auth events newest first in Cognito's
 * AuthEventType shape, at most `MaxResults` (0 or absent: 60) a page, with `NextToken`.
 */
import type { AuthEventCursor } from "../storage/auth-event-store.js";
import type { DeveloperOperation } from "./developer-operation.js";
import { UserPoolError } from "./user-pool-errors.js";
import { findUser, requiredString } from "./user-pool-input.js";

/** Cognito's largest page. */
const MAX_RESULTS = 60;

const badToken = () => new UserPoolError("InvalidParameterException", "Invalid pagination token.");

function cursorOf(token: unknown): AuthEventCursor | null {
  if (token === undefined || token === null) return null;
  if (typeof token !== "string" || token.length > 512) throw badToken();
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && typeof parsed[1] === "string") return { createdAt: parsed[0], eventId: parsed[1] };
  } catch {
    // answered below
  }
  throw badToken();
}

const tokenOf = (cursor: AuthEventCursor) => Buffer.from(JSON.stringify([cursor.createdAt, cursor.eventId]), "utf8").toString("base64url");

/** AdminListUserAuthEvents. */
export const adminListUserAuthEvents: DeveloperOperation = async (deps, body, pool) => {
  const maxResults = body["MaxResults"] ?? 0;
  if (typeof maxResults !== "number" || !Number.isInteger(maxResults) || maxResults < 0 || maxResults > MAX_RESULTS) {
    throw new UserPoolError("InvalidParameterException", `1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_RESULTS}`);
  }
  const limit = maxResults === 0 ? MAX_RESULTS : maxResults;
  const before = cursorOf(body["NextToken"]);
  const user = await findUser(deps, pool, requiredString(body, "Username", 128));
  if (user === null) throw new UserPoolError("UserNotFoundException", "User does not exist.");
  // One more than a page, to know whether another follows.
  const rows = await deps.audit.list(pool.settings.id, user.sub, before, limit + 1);
  const page = rows.slice(0, limit);
  return {
    AuthEvents: page.map((row) => JSON.parse(row.data) as unknown),
    ...(rows.length > limit ? { NextToken: tokenOf(page.at(-1)!) } : {}),
  };
};

/** The audit log's developer operations by X-Amz-Target name. */
export const AUDIT_OPERATIONS: Record<string, DeveloperOperation> = { AdminListUserAuthEvents: adminListUserAuthEvents };
