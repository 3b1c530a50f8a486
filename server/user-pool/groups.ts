/**
 * Cognito's group operations, for the pool's developer (signed as `admin-auth.ts` checks):
 * CreateGroup, GetGroup, UpdateGroup, ListGroups, DeleteGroup, AdminAddUserToGroup, AdminRemoveUserFromGroup,
 * AdminListGroupsForUser and ListUsersInGroup, with Cognito's shapes (GroupType, UserType) and
 * refusals (GroupExistsException, ResourceNotFoundException "Group not found.",
 * UserNotFoundException "User does not exist.").
 *
 * A user's groups go into the tokens issued afterwards (`user-pool-tokens.ts`); tokens already
 * issued keep the groups they were signed with, as Cognito's do.
 */
import type { UserPoolGroup, UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { existingUser, userType, type DeveloperOperation } from "./developer-operation.js";
import { requiredString, type Body } from "./user-pool-input.js";


/** Cognito's GroupName: 1-128 letters, marks, symbols, numbers or punctuation. */
const GROUP_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
/** Cognito's RoleArn pattern (IAM role ARNs). */
const ROLE_ARN = /^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$/;
/** The most groups or users one page lists (Cognito's maximum `Limit`). */
const MAX_PAGE = 60;

const invalid = (field: string, constraint: string) =>
  new UserPoolError("InvalidParameterException", `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`);

function groupNameOf(body: Body): string {
  const name = requiredString(body, "GroupName", 128);
  if (!GROUP_NAME.test(name)) throw invalid("groupName", "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+");
  return name;
}

function optionalText(body: Body, field: string, max: number): string | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length > max) throw invalid(field.charAt(0).toLowerCase() + field.slice(1), `Member must have length less than or equal to ${max}`);
  return value;
}

function pageOf(body: Body): { after: string | null; limit: number } {
  const limit = body["Limit"] ?? MAX_PAGE;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE) throw invalid("limit", `Member must have value less than or equal to ${MAX_PAGE}`);
  const token = body["NextToken"];
  if (token === undefined || token === null) return { after: null, limit: limit === 0 ? MAX_PAGE : limit };
  if (typeof token !== "string") throw new UserPoolError("InvalidParameterException", "Invalid pagination token.");
  return { after: Buffer.from(token, "base64url").toString("utf8"), limit: limit === 0 ? MAX_PAGE : limit };
}

const nextToken = (next: string | null) => (next === null ? {} : { NextToken: Buffer.from(next, "utf8").toString("base64url") });

/** Cognito's GroupType; absent fields are left out. Dates are epoch seconds. */
export function groupType(group: UserPoolGroup) {
  return {
    GroupName: group.groupName,
    UserPoolId: group.poolId,
    ...(group.description === null ? {} : { Description: group.description }),
    ...(group.roleArn === null ? {} : { RoleArn: group.roleArn }),
    ...(group.precedence === null ? {} : { Precedence: group.precedence }),
    LastModifiedDate: group.updatedAt / 1000,
    CreationDate: group.createdAt / 1000,
  };
}


/** The group `GroupName` names. @throws UserPoolError ResourceNotFoundException */
export async function existingGroup(deps: UserPoolDeps, pool: LoadedUserPool, body: Body): Promise<UserPoolGroup> {
  const group = await deps.store.getGroup(pool.settings.id, groupNameOf(body));
  if (group === null) throw new UserPoolError("ResourceNotFoundException", "Group not found.");
  return group;
}


/** The settable fields of a group (CreateGroup, UpdateGroup): each absent one is null, as Cognito resets it. */
function groupFieldsOf(body: Body): Pick<UserPoolGroup, "description" | "roleArn" | "precedence"> {
  const roleArn = optionalText(body, "RoleArn", 2048);
  if (roleArn !== null && (roleArn.length < 20 || !ROLE_ARN.test(roleArn))) throw invalid("roleArn", "Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?");
  const precedence = body["Precedence"] ?? null;
  if (precedence !== null && (typeof precedence !== "number" || !Number.isInteger(precedence) || precedence < 0 || precedence > 2_147_483_647)) {
    throw invalid("precedence", "Member must have value greater than or equal to 0");
  }
  return { description: optionalText(body, "Description", 2048), roleArn, precedence };
}

/** CreateGroup. */
export const createGroup: DeveloperOperation = async (deps, body, pool) => {
  const groupName = groupNameOf(body);
  const now = deps.now();
  const group: UserPoolGroup = { poolId: pool.settings.id, groupName, ...groupFieldsOf(body), createdAt: now, updatedAt: now };
  if (!(await deps.store.createGroup(group))) throw new UserPoolError("GroupExistsException", `A group with the name ${groupName} already exists.`);
  return { Group: groupType(group) };
};

/** UpdateGroup: Description, RoleArn and Precedence become what the call says; one it leaves out is cleared, as in Cognito. */
export const updateGroup: DeveloperOperation = async (deps, body, pool) => {
  const existing = await existingGroup(deps, pool, body);
  const group: UserPoolGroup = { ...existing, ...groupFieldsOf(body), updatedAt: deps.now() };
  if (!(await deps.store.updateGroup(group))) throw new UserPoolError("ResourceNotFoundException", "Group not found.");
  return { Group: groupType(group) };
};

/** GetGroup. */
export const getGroup: DeveloperOperation = async (deps, body, pool) => ({ Group: groupType(await existingGroup(deps, pool, body)) });

/** ListGroups, by name, at most 60 a page. */
export const listGroups: DeveloperOperation = async (deps, body, pool) => {
  const { after, limit } = pageOf(body);
  const page = await deps.store.listGroups(pool.settings.id, after, limit);
  return { Groups: page.items.map(groupType), ...nextToken(page.next) };
};

/** DeleteGroup: its memberships go with it. */
export const deleteGroup: DeveloperOperation = async (deps, body, pool) => {
  if (!(await deps.store.deleteGroup(pool.settings.id, groupNameOf(body)))) throw new UserPoolError("ResourceNotFoundException", "Group not found.");
  return {};
};

/** AdminAddUserToGroup (adding a member again changes nothing). */
export const adminAddUserToGroup: DeveloperOperation = async (deps, body, pool) => {
  const group = await existingGroup(deps, pool, body);
  const user = await existingUser(deps, pool, body);
  await deps.store.addGroupMember(pool.settings.id, group.groupName, user.sub, deps.now());
  return {};
};

/** AdminRemoveUserFromGroup (removing a non-member changes nothing, as in Cognito). */
export const adminRemoveUserFromGroup: DeveloperOperation = async (deps, body, pool) => {
  const group = await existingGroup(deps, pool, body);
  const user = await existingUser(deps, pool, body);
  await deps.store.removeGroupMember(pool.settings.id, group.groupName, user.sub);
  return {};
};

/** AdminListGroupsForUser, by name. */
export const adminListGroupsForUser: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  const { after, limit } = pageOf(body);
  const groups = (await deps.store.listUserGroups(pool.settings.id, user.sub)).filter((group) => after === null || group.groupName > after);
  const page = groups.slice(0, limit);
  return { Groups: page.map(groupType), ...nextToken(groups.length > limit ? page.at(-1)!.groupName : null) };
};

/** ListUsersInGroup, at most 60 a page. */
export const listUsersInGroup: DeveloperOperation = async (deps, body, pool) => {
  const group = await existingGroup(deps, pool, body);
  const { after, limit } = pageOf(body);
  const page = await deps.store.listGroupMembers(pool.settings.id, group.groupName, after, limit);
  const users = await Promise.all(page.items.map((sub) => deps.store.getUserBySub(pool.settings.id, sub)));
  return { Users: users.filter((user): user is UserPoolUserWithAttributes => user !== null).map((user) => userType(pool, user)), ...nextToken(page.next) };
};

/** The group operations by X-Amz-Target name. */
export const GROUP_OPERATIONS: Record<string, DeveloperOperation> = {
  CreateGroup: createGroup,
  GetGroup: getGroup,
  UpdateGroup: updateGroup,
  ListGroups: listGroups,
  DeleteGroup: deleteGroup,
  AdminAddUserToGroup: adminAddUserToGroup,
  AdminRemoveUserFromGroup: adminRemoveUserFromGroup,
  AdminListGroupsForUser: adminListGroupsForUser,
  ListUsersInGroup: listUsersInGroup,
};
