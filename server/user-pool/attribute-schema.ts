/**
 * A pool's custom attributes, declared in its config (`customAttributes`), and what Cognito
 * refuses to do with them: here they may be added, renamed and retired on a live pool.
 *
 * - Without `customAttributes` any `custom:` name is accepted (a schemaless pool).
 * - With it, only declared, unretired names are written, each checked against its type and bounds;
 *   an attribute that is not `mutable` is written only when the user is created. Users' values of
 *   undeclared or retired names stay stored but are not answered or put in tokens, so retiring is
 *   undone by declaring the name again.
 * - `previousNames` renames: when the server starts, every user's value under a previous name moves
 *   to the declared name in one statement per name (`migrateCustomAttributes`). A user who already
 *   holds the new name keeps both values (the old one hidden); the log names them.
 */
import type { Logger } from "../logger.js";
import type { UserPoolStore } from "../storage/user-pool-store.js";
import type { CustomAttribute } from "./user-pool-config.js";
import { UserPoolError } from "./user-pool-errors.js";

/** What `checkCustomAttributes` needs of a pool. */
interface AttributeSchemaHolder {
  customAttributes?: CustomAttribute[] | undefined;
}

const CUSTOM_PREFIX = "custom:";
const NUMBER_PATTERN = /^-?\d+(\.\d+)?$/;

const refuse = (name: string, reason: string) => new UserPoolError("InvalidParameterException", `Attributes did not conform to the schema: ${name}: ${reason}`);

/** The declared, unretired attribute `custom:<name>`, or undefined. */
function declared(pool: AttributeSchemaHolder, fullName: string): CustomAttribute | undefined {
  const name = fullName.slice(CUSTOM_PREFIX.length);
  return pool.customAttributes?.find((attribute) => attribute.name === name && !attribute.retired);
}

/**
 * Checks the `custom:` attributes of a write against the pool's declarations; `creating` is true for
 * a new user (sign-up), the only time an attribute that is not mutable may be set.
 * @throws InvalidParameterException with Cognito's "Attributes did not conform to the schema" message.
 */
export function checkCustomAttributes(pool: AttributeSchemaHolder, attributes: Record<string, string>, creating: boolean): void {
  if (pool.customAttributes === undefined) return;
  for (const [name, value] of Object.entries(attributes)) {
    if (!name.startsWith(CUSTOM_PREFIX)) continue;
    const attribute = declared(pool, name);
    if (attribute === undefined) throw refuse(name, "Attribute does not exist in the schema.");
    if (!creating && !attribute.mutable) throw refuse(name, "Attribute cannot be updated. (changing an immutable attribute)");
    checkValue(name, attribute, value);
  }
}

function checkValue(name: string, attribute: CustomAttribute, value: string): void {
  switch (attribute.type) {
    case "String":
      if (value.length < attribute.minLength || value.length > attribute.maxLength) {
        throw refuse(name, `String must be between ${attribute.minLength} and ${attribute.maxLength} characters.`);
      }
      return;
    case "Number": {
      if (!NUMBER_PATTERN.test(value)) throw refuse(name, "Number must be a number.");
      const number = Number(value);
      if ((attribute.minValue !== undefined && number < attribute.minValue) || (attribute.maxValue !== undefined && number > attribute.maxValue)) {
        throw refuse(name, `Number must be between ${attribute.minValue ?? "-infinity"} and ${attribute.maxValue ?? "infinity"}.`);
      }
      return;
    }
    case "Boolean":
      if (value !== "true" && value !== "false") throw refuse(name, "Boolean must be true or false.");
      return;
    case "DateTime":
      if (Number.isNaN(Date.parse(value))) throw refuse(name, "DateTime must be a date.");
      return;
  }
}

/** A user's attributes as the pool answers them: without undeclared or retired `custom:` ones when it declares its custom attributes. */
export function visibleAttributes(pool: AttributeSchemaHolder, attributes: Record<string, string>): Record<string, string> {
  if (pool.customAttributes === undefined) return attributes;
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => !name.startsWith(CUSTOM_PREFIX) || declared(pool, name) !== undefined));
}

/**
 * Moves users' values under each declared attribute's `previousNames` to its name, logging what
 * moved and naming the users who held both (they keep both). Runs when the server starts; running it
 * again moves nothing new.
 */
export async function migrateCustomAttributes(store: UserPoolStore, pool: { id: string } & AttributeSchemaHolder, logger: Logger): Promise<void> {
  for (const attribute of pool.customAttributes ?? []) {
    for (const previous of attribute.previousNames) {
      const from = `${CUSTOM_PREFIX}${previous}`;
      const to = `${CUSTOM_PREFIX}${attribute.name}`;
      const { renamed, conflicts } = await store.renameAttribute(pool.id, from, to);
      if (renamed > 0) logger.info({ userPool: pool.id, from, to, renamed }, "renamed a custom attribute of the user pool's users");
      if (conflicts.length > 0) {
        logger.warn(
          { userPool: pool.id, from, to, users: conflicts.slice(0, 100), count: conflicts.length },
          "users hold both the previous and the new name of a renamed custom attribute: the new name's value is answered, the previous one is kept hidden",
        );
      }
    }
  }
}
