/**
 * The group claims Cognito puts in a user's tokens: `cognito:groups` (ID and access token), and in
 * the ID token `cognito:roles` (the role ARNs of those groups) and `cognito:preferred_role` (the
 * role of the group of lowest precedence). Groups are listed by precedence (absent ranks last),
 * then name. No groups, no claims; when the lowest precedence is shared by groups of different
 * roles, no preferred role, as Cognito does.
 */
import type { UserPoolGroup } from "../storage/user-pool-store.js";

/** The claims of `groups`; each is absent when it would be empty. */
export interface GroupClaims {
  "cognito:groups"?: string[];
  "cognito:roles"?: string[];
  "cognito:preferred_role"?: string;
}

const rank = (group: UserPoolGroup) => group.precedence ?? Number.POSITIVE_INFINITY;

/** The ID token's group claims (the access token takes only `cognito:groups`). */
export function groupClaims(groups: readonly UserPoolGroup[]): GroupClaims {
  if (groups.length === 0) return {};
  const ordered = [...groups].sort((left, right) => rank(left) - rank(right) || (left.groupName < right.groupName ? -1 : 1));
  const withRoles = ordered.filter((group) => group.roleArn !== null);
  const claims: GroupClaims = { "cognito:groups": ordered.map((group) => group.groupName) };
  if (withRoles.length === 0) return claims;
  claims["cognito:roles"] = [...new Set(withRoles.map((group) => group.roleArn!))];
  const lowest = rank(withRoles[0]!);
  const tied = new Set(withRoles.filter((group) => rank(group) === lowest).map((group) => group.roleArn));
  if (lowest !== Number.POSITIVE_INFINITY && tied.size === 1) claims["cognito:preferred_role"] = withRoles[0]!.roleArn!;
  return claims;
}
