/**
 * Authorization: may this token's role do this action on this dataset? Pure, so a table of cases
 * tests it completely. The rules, in order:
 *
 * 1. A pool that defines no roles allows everything (on one's own data: no operation can reach
 *    another identity's data anyway).
 * 2. Otherwise the token's role decides; a token without a role (issued before the pool had
 *    roles) or naming a role the pool no longer has is denied everything: sign in again.
 * 3. A deny statement that matches wins over every allow; without a matching allow, denied.
 *
 * A statement matches when it lists the action and one of its dataset patterns matches the whole
 * dataset name. In a pattern `*` matches any run of characters (none included) and
 * `${claim:NAME}` / `${tag:NAME}` stand for the token's claim (`sub` identity id, `aud` pool id,
 * `role`) or principal tag, taken literally. A pattern whose variable has no value matches
 * nothing, in allow and deny statements alike (as in AWS policies).
 */
import type { PolicyAction, Role } from "./access-settings.js";

/** Who is asking, as the token says. */
export interface PolicySubject {
  identityId: string;
  poolId: string;
  role: string | null;
  tags: Readonly<Record<string, string>>;
}

/** The part of a pool that authorization reads. */
export interface PolicyPool {
  roles: Readonly<Record<string, Role>>;
}

/** True when `subject` may do every one of `actions` on `dataset` under the pool's roles. */
export function isAllowed(pool: PolicyPool, subject: PolicySubject, actions: readonly PolicyAction[], dataset: string): boolean {
  if (Object.keys(pool.roles).length === 0) return true;
  if (subject.role === null || !Object.hasOwn(pool.roles, subject.role)) return false;
  const { policies } = pool.roles[subject.role]!;
  return actions.every((action) => {
    const matching = policies.filter(
      (policy) => policy.actions.includes(action) && policy.datasets.some((pattern) => patternMatches(pattern, dataset, subject)),
    );
    return matching.length > 0 && matching.every((policy) => policy.effect === "allow");
  });
}

/** True when `pattern` (with variables filled from `subject`) matches all of `dataset`. */
export function patternMatches(pattern: string, dataset: string, subject: PolicySubject): boolean {
  let source = "";
  for (const token of pattern.match(/\$\{(?:claim|tag):[^}]+\}|\*|[^*$]+|\$/g) ?? []) {
    if (token === "*") {
      source += "[\\s\\S]*";
    } else if (token.startsWith("${")) {
      const value = variableValue(token.slice(2, -1), subject);
      if (value === null) return false;
      source += escapeRegExp(value);
    } else {
      source += escapeRegExp(token);
    }
  }
  return new RegExp(`^${source}$`).test(dataset);
}

/**
 * `template` with each `${claim:NAME}` / `${tag:NAME}` replaced by the subject's value, or null
 * when any variable has none (the template then names nothing, as a pattern would match nothing).
 */
export function fillVariables(template: string, subject: PolicySubject): string | null {
  let missing = false;
  const filled = template.replace(/\$\{((?:claim|tag):[^}]+)\}/g, (_, variable: string) => {
    const value = variableValue(variable, subject);
    if (value === null) missing = true;
    return value ?? "";
  });
  return missing ? null : filled;
}

function variableValue(variable: string, subject: PolicySubject): string | null {
  const separator = variable.indexOf(":");
  const kind = variable.slice(0, separator);
  const name = variable.slice(separator + 1);
  if (kind === "tag") return Object.hasOwn(subject.tags, name) ? (subject.tags[name] ?? null) : null;
  if (name === "sub") return subject.identityId;
  if (name === "aud") return subject.poolId;
  if (name === "role") return subject.role;
  return null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
