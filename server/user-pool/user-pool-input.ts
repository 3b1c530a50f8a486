/**
 * Reading a request body of the user-pool API: required strings, the app client (and its
 * SECRET_HASH when it has a secret), user attributes as `[{Name, Value}]`, and finding the user a
 * sign-in names (by username, or by a verified email when email is a sign-in alias). Refusals use
 * Cognito's exception names and messages.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { checkCustomAttributes, visibleAttributes } from "./attribute-schema.js";
import type { LoadedClient, LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";

/** A request body: a JSON object. */
export type Body = Record<string, unknown>;

/** `body[field]` as a non-empty string of at most `max` characters. @throws InvalidParameterException */
export function requiredString(body: Body, field: string, max = 2048): string {
  const value = body[field];
  if (typeof value !== "string" || value.length === 0) {
    throw new UserPoolError("InvalidParameterException", `1 validation error detected: Value at '${lowerFirst(field)}' failed to satisfy constraint: Member must not be null`);
  }
  if (value.length > max) {
    throw new UserPoolError("InvalidParameterException", `1 validation error detected: Value at '${lowerFirst(field)}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }
  return value;
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

/**
 * The app client `ClientId` names; when it has a secret, `secretHash` must be
 * `Base64(HMAC-SHA256(secret, username + clientId))`.
 * @throws ResourceNotFoundException for an unknown client, NotAuthorizedException for a wrong or missing hash.
 */
export function clientOf(deps: UserPoolDeps, body: Body, username: string | null, secretHash: unknown = body["SecretHash"]): LoadedClient {
  const clientId = requiredString(body, "ClientId", 128);
  const found = deps.clients.get(clientId);
  if (!found) throw new UserPoolError("ResourceNotFoundException", "User pool client " + clientId.slice(0, 128) + " does not exist.");
  const secret = found.client.secret;
  if (secret !== undefined) {
    if (typeof secretHash !== "string") throw new UserPoolError("NotAuthorizedException", `Client ${clientId} is configured with secret but SECRET_HASH was not received`);
    const expected = createHmac("sha256", secret).update(`${username ?? ""}${clientId}`).digest();
    const given = Buffer.from(secretHash, "base64");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UserPoolError("NotAuthorizedException", `Unable to verify secret hash for client ${clientId}`);
  }
  return found;
}

/** Standard attributes a user may set (OpenID Connect's, as Cognito lists them). */
const STANDARD_ATTRIBUTES = new Set([
  "address", "birthdate", "email", "family_name", "gender", "given_name", "locale", "middle_name", "name", "nickname",
  "phone_number", "picture", "preferred_username", "profile", "updated_at", "website", "zoneinfo",
]);
/** Attributes only the server sets. */
const SERVER_ATTRIBUTES = new Set(["sub", "email_verified", "phone_number_verified"]);
/** Flags an administrator may set. */
const VERIFIED_FLAGS = new Set(["email_verified", "phone_number_verified"]);
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Which pool's declared custom attributes a write is checked against, and whether it creates the user. */
export interface AttributeWrite {
  pool: LoadedUserPool;
  /** True for a new user: the only write that may set an attribute that is not mutable. */
  creating: boolean;
}

/**
 * `[{Name, Value}]` as a map, checked: standard or `custom:` names (at most 20 characters after the
 * prefix; declared ones where the pool declares them, `attribute-schema.ts`), values up to 2048
 * characters, emails that look like emails. `asAdministrator` (Admin* operations) may also set
 * `email_verified` and `phone_number_verified`, to "true" or "false".
 * @throws InvalidParameterException
 */
export function readAttributes(list: unknown, write: AttributeWrite, field = "UserAttributes", asAdministrator = false): Record<string, string> {
  if (list === undefined || list === null) return {};
  if (!Array.isArray(list)) throw new UserPoolError("InvalidParameterException", `${field} must be a list of {Name, Value}.`);
  const attributes: Record<string, string> = {};
  for (const entry of list as unknown[]) {
    const { Name: name, Value: value } = (entry ?? {}) as { Name?: unknown; Value?: unknown };
    if (typeof name !== "string" || typeof value !== "string") throw new UserPoolError("InvalidParameterException", `${field} must be a list of {Name, Value} strings.`);
    if (asAdministrator && VERIFIED_FLAGS.has(name)) {
      if (value !== "true" && value !== "false") throw new UserPoolError("InvalidParameterException", `${name} must be "true" or "false".`);
      attributes[name] = value;
      continue;
    }
    checkAttributeName(name);
    if (value.length > 2048) throw new UserPoolError("InvalidParameterException", `${field}: the value of ${name} is longer than 2048 characters.`);
    if (name === "email" && !EMAIL_PATTERN.test(value)) throw new UserPoolError("InvalidParameterException", "Invalid email address format.");
    if (name === "phone_number" && !/^\+[0-9]{4,15}$/.test(value)) throw new UserPoolError("InvalidParameterException", "Invalid phone number format.");
    attributes[name] = value;
  }
  checkCustomAttributes(write.pool.settings, attributes, write.creating);
  return attributes;
}

/**
 * Refuses a name no one may write: `sub` and the verified flags (NotAuthorizedException; the flags
 * are allowed `asAdministrator`), and names neither standard nor `custom:` (InvalidParameterException).
 */
export function checkAttributeName(name: string, asAdministrator = false): void {
  if (asAdministrator && VERIFIED_FLAGS.has(name)) return;
  if (SERVER_ATTRIBUTES.has(name)) throw new UserPoolError("NotAuthorizedException", `A client attempted to write unauthorized attribute`);
  if (!/^custom:[\w.:-]{1,20}$/.test(name) && !STANDARD_ATTRIBUTES.has(name)) throw new UserPoolError("InvalidParameterException", `Attribute does not exist in the schema.`);
}

/** `[{Name, Value}]` of a user's attributes as the pool answers them (`visibleAttributes`), `sub` first, as GetUser answers. */
export const attributeList = (pool: LoadedUserPool, user: UserPoolUserWithAttributes) => [
  { Name: "sub", Value: user.sub },
  ...Object.entries(visibleAttributes(pool.settings, user.attributes)).map(([Name, Value]) => ({ Name, Value })),
];

/** Whether `text` would read as an email address (refused as a username where email is an alias). */
export const looksLikeEmail = (text: string) => EMAIL_PATTERN.test(text);

/**
 * The user a sign-in or recovery names: by username, else (where email is a sign-in alias) the one
 * user whose verified email it is. Null when none.
 */
export async function findUser(deps: UserPoolDeps, pool: LoadedUserPool, name: string): Promise<UserPoolUserWithAttributes | null> {
  const byUsername = await deps.store.getUser(pool.settings.id, name);
  if (byUsername || !pool.settings.signInAliases.includes("email") || !looksLikeEmail(name)) return byUsername;
  for (const username of await deps.store.findUsernamesByAttribute(pool.settings.id, "email", name)) {
    const user = await deps.store.getUser(pool.settings.id, username);
    if (user?.attributes["email_verified"] === "true") return user;
  }
  return null;
}
