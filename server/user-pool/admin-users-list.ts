/**
 * ListUsers: a pool's users by username, at most 60 a page (`Limit`, `PaginationToken`), optionally
 * kept by Cognito's one-attribute `Filter`: `name = "value"` for an exact match, `name ^= "value"`
 * for a prefix, quotes inside the value escaped with a backslash. The filterable names are
 * Cognito's: username, email, phone_number, name, given_name, family_name, preferred_username,
 * cognito:user_status, status ("Enabled" or "Disabled") and sub. Matches compare case-sensitively,
 * except the two statuses. `AttributesToGet` narrows each user's Attributes.
 */
import type { UserPoolUserFilter } from "../storage/user-pool-store.js";
import { userType, type DeveloperOperation } from "./developer-operation.js";
import { UserPoolError } from "./user-pool-errors.js";
import type { Body } from "./user-pool-input.js";

/** The most users one page lists (Cognito's maximum `Limit`). */
const MAX_PAGE = 60;
/** Attributes Cognito lets ListUsers filter on (besides the statuses and username, which are columns here). */
const FILTERABLE_ATTRIBUTES = new Set(["email", "phone_number", "name", "given_name", "family_name", "preferred_username"]);
const FILTER = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

const invalid = (message: string) => new UserPoolError("InvalidParameterException", message);

/**
 * The storage filter `text` asks for; null for no filter (absent or empty).
 * @throws UserPoolError InvalidParameterException for text that does not parse or names another attribute.
 */
export function parseUserFilter(text: unknown): UserPoolUserFilter | null {
  if (text === undefined || text === null || text === "") return null;
  if (typeof text !== "string" || text.length > 256) throw invalid("1 validation error detected: Value at 'filter' failed to satisfy constraint: Member must have length less than or equal to 256");
  const match = FILTER.exec(text);
  if (match === null) throw invalid("Error while parsing filter.");
  const [, name, operator, escaped] = match as unknown as [string, string, string, string];
  const value = escaped.replace(/\\(.)/g, "$1");
  const prefix = operator === "^=";
  switch (name) {
    case "username":
    case "sub":
      return { field: { column: name }, value, prefix };
    case "cognito:user_status":
      return { field: { column: "status" }, value: value.toUpperCase(), prefix };
    case "status": {
      const state = value.toLowerCase();
      if (prefix || (state !== "enabled" && state !== "disabled")) throw invalid('status filters take = "Enabled" or = "Disabled".');
      return { field: { column: "enabled" }, value: state === "enabled" ? "true" : "false", prefix: false };
    }
    default:
      if (!FILTERABLE_ATTRIBUTES.has(name)) throw invalid("Invalid search attribute");
      return { field: { attribute: name }, value, prefix };
  }
}

function pageOf(body: Body): { after: string | null; limit: number } {
  const limit = body["Limit"] ?? MAX_PAGE;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE) {
    throw invalid(`1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`);
  }
  const token = body["PaginationToken"];
  if (token === undefined || token === null) return { after: null, limit: limit === 0 ? MAX_PAGE : limit };
  if (typeof token !== "string" || token.length === 0) throw invalid("Invalid pagination token.");
  return { after: Buffer.from(token, "base64url").toString("utf8"), limit: limit === 0 ? MAX_PAGE : limit };
}

/** ListUsers. */
export const listUsers: DeveloperOperation = async (deps, body, pool) => {
  const filter = parseUserFilter(body["Filter"]);
  const wanted = body["AttributesToGet"] ?? null;
  if (wanted !== null && (!Array.isArray(wanted) || wanted.some((name) => typeof name !== "string"))) throw invalid("AttributesToGet must be a list of attribute names.");
  const { after, limit } = pageOf(body);
  const page = await deps.store.listUsers(pool.settings.id, filter, after, limit);
  const users = page.items.map((user) => {
    const listed = userType(pool, user);
    return wanted === null ? listed : { ...listed, Attributes: listed.Attributes.filter((attribute) => (wanted as string[]).includes(attribute.Name)) };
  });
  return { Users: users, ...(page.next === null ? {} : { PaginationToken: Buffer.from(page.next, "utf8").toString("base64url") }) };
};
