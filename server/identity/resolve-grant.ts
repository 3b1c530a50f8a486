/**
 * What a sign-in grants: the role and principal tags its token will carry. Decided once, at
 * sign-in, from the pool's settings and the login's claims (Cognito identity pools' role
 * resolution), so a later change of the pool's rules applies to tokens issued afterwards.
 *
 * - A pool without roles grants no role (everything allowed, see `policy.ts`).
 * - A guest gets the pool's guest role and no tags.
 * - A login gets the role its provider's mapping chooses, else the authenticated role:
 *   - "rules": the first rule whose claim matches; none matching is ambiguous;
 *   - "token": the roles listed in the claim (default `roles`) that the mapping allows; the one
 *     named by the preferred-role claim, or the only one; none or several is ambiguous.
 *   Ambiguous resolves to the authenticated role, or refuses the sign-in (`DENY`).
 * - A user pool's login also carries its `cognito:groups`: shared-dataset groups for the token.
 * - Principal tags: each configured tag takes its claim's value (a string, number or boolean; a
 *   one-element array counts as its element); a claim that is absent or holds anything else gives
 *   no tag.
 */
import type { JWTPayload } from "jose";
import { SyncpoolError } from "../../core/errors.js";
import type { RoleMapping, RoleRule } from "./access-settings.js";
import type { PoolSettings } from "./pool-settings.js";
import type { TokenGrant } from "./tokens.js";

/** Longest principal tag value kept (AWS's session tag limit). */
export const MAX_TAG_VALUE_LENGTH = 256;

/** The login that decides an authenticated grant: its provider's name and its token's claims. */
export interface GrantingLogin {
  providerName: string;
  claims: JWTPayload;
}

/**
 * The grant of a sign-in; `login` is null for a guest.
 * @throws SyncpoolError FORBIDDEN (`reason: NO_ROLE`) when the mapping says DENY for an ambiguous
 *   login, or the pool has roles but none for guests.
 */
export function resolveGrant(pool: PoolSettings, login: GrantingLogin | null): TokenGrant {
  const hasRoles = Object.keys(pool.roles).length > 0;
  if (login === null) {
    if (hasRoles && pool.guestRole === undefined) throw noRole(pool.id, "the pool has no guest role");
    return { role: hasRoles ? pool.guestRole! : null, tags: {}, authenticated: false };
  }
  const tags = principalTags(pool.principalTags, login.claims);
  const groups = userPoolGroups(login);
  if (!hasRoles) return { role: null, tags, authenticated: true, ...groups };
  const mapping = pool.roleMappings[login.providerName];
  const chosen = mapping ? chooseRole(pool, mapping, login.claims) : null;
  if (chosen !== null) return { role: chosen, tags, authenticated: true, ...groups };
  if (mapping?.ambiguousRoleResolution === "DENY") {
    throw noRole(pool.id, `no role rule of provider "${login.providerName}" matches this login`);
  }
  return { role: pool.authenticatedRole!, tags, authenticated: true, ...groups };
}

/**
 * A user pool's login (provider `cognito-idp.<region>.amazonaws.com/<poolId>`, the key syncpool's
 * own user pools and Cognito's use) brings its `cognito:groups` as shared-dataset groups.
 */
function userPoolGroups(login: GrantingLogin): { groups?: string[] } {
  if (!/^cognito-idp\.[^/]+\.amazonaws\.com\/[^/]+$/.test(login.providerName)) return {};
  const groups = claimValues(login.claims["cognito:groups"]).filter((group) => /^[A-Za-z0-9_.:-]{1,128}$/.test(group));
  return groups.length === 0 ? {} : { groups };
}

function chooseRole(pool: PoolSettings, mapping: RoleMapping, claims: JWTPayload): string | null {
  if (mapping.type === "rules") return mapping.rules.find((rule) => ruleMatches(rule, claims))?.role ?? null;
  const allowed = new Set(mapping.allowedRoles ?? Object.keys(pool.roles));
  const listed = claimValues(claims[mapping.claim]).map(roleNameOf).filter((role) => allowed.has(role) && Object.hasOwn(pool.roles, role));
  const preferred = claims[mapping.preferredRoleClaim];
  if (typeof preferred === "string" && listed.includes(roleNameOf(preferred))) return roleNameOf(preferred);
  const distinct = [...new Set(listed)];
  return distinct.length === 1 ? distinct[0]! : null;
}

/** An IAM role ARN (`arn:aws:iam::<account>:role/<path/>name`, as user-pool groups carry) names the pool's role `name`. */
function roleNameOf(value: string): string {
  return /^arn:[\w-]+:iam::\d*:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(value)?.[1] ?? value;
}

/** Whether a rule matches: a claim absent (or not text) never matches, NotEqual included. */
export function ruleMatches(rule: RoleRule, claims: JWTPayload): boolean {
  const values = claimValues(claims[rule.claim]);
  if (values.length === 0) return false;
  switch (rule.matchType) {
    case "Equals":
      return values.includes(rule.value);
    case "NotEqual":
      return !values.includes(rule.value);
    case "Contains":
      return values.some((value) => value.includes(rule.value));
    case "StartsWith":
      return values.some((value) => value.startsWith(rule.value));
  }
}

/** A claim as a list of strings: a string, a number or boolean as text, or an array's strings. */
function claimValues(claim: unknown): string[] {
  if (typeof claim === "string") return [claim];
  if (typeof claim === "number" || typeof claim === "boolean") return [String(claim)];
  if (Array.isArray(claim)) return claim.filter((item): item is string => typeof item === "string");
  return [];
}

function principalTags(mapping: Readonly<Record<string, string>>, claims: JWTPayload): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [tag, claimName] of Object.entries(mapping)) {
    const claim = claims[claimName];
    const single = Array.isArray(claim) && claim.length === 1 ? claim[0] : claim;
    const value = typeof single === "string" || typeof single === "number" || typeof single === "boolean" ? String(single) : null;
    if (value !== null && value.length <= MAX_TAG_VALUE_LENGTH) tags[tag] = value;
  }
  return tags;
}

function noRole(poolId: string, why: string): SyncpoolError {
  return new SyncpoolError("FORBIDDEN", `identity pool "${poolId}": ${why}`, { reason: "NO_ROLE" });
}
