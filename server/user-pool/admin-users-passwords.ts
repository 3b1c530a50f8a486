/**
 * AdminSetUserPassword and AdminResetUserPassword. A password an administrator sets meets the
 * pool's policy and history like one the user chooses; `Permanent: true` makes the user CONFIRMED
 * (an unconfirmed one too, as in Cognito), otherwise FORCE_CHANGE_PASSWORD, so the next sign-in
 * asks for a new password. A reset makes the user RESET_REQUIRED (sign-in answers
 * PasswordResetRequiredException) and mails a password-reset code when the email is verified;
 * ConfirmForgotPassword with that code makes the user CONFIRMED again.
 */
import { makeCredentials } from "./credentials.js";
import { existingUser, type DeveloperOperation } from "./developer-operation.js";
import { checkPasswordHistory, rememberReplacedPassword } from "./password-history.js";
import { checkPasswordPolicy } from "./passwords.js";
import { sendCode } from "./user-codes.js";
import { UserPoolError } from "./user-pool-errors.js";
import { requiredString } from "./user-pool-input.js";

/** AdminSetUserPassword. */
export const adminSetUserPassword: DeveloperOperation = async (deps, body, pool) => {
  const password = requiredString(body, "Password", 256);
  const permanent = body["Permanent"] ?? false;
  if (typeof permanent !== "boolean") throw new UserPoolError("InvalidParameterException", "Permanent must be a boolean.");
  const user = await existingUser(deps, pool, body);
  checkPasswordPolicy(pool.settings.passwordPolicy, password);
  await checkPasswordHistory(deps, pool, user, password);
  const credentials = await makeCredentials(deps, pool, user.username, user.sub, password);
  await deps.store.updateUser(pool.settings.id, user.sub, { ...credentials, status: permanent ? "CONFIRMED" : "FORCE_CHANGE_PASSWORD", updatedAt: deps.now() });
  await rememberReplacedPassword(deps, pool, user);
  return {};
};

/** AdminResetUserPassword. */
export const adminResetUserPassword: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  await deps.store.updateUser(pool.settings.id, user.sub, { status: "RESET_REQUIRED", updatedAt: deps.now() });
  if (user.attributes["email_verified"] === "true") await sendCode(deps, pool, user, "FORGOT_PASSWORD");
  return {};
};

/** The password operations by X-Amz-Target name. */
export const ADMIN_USER_PASSWORD_OPERATIONS: Record<string, DeveloperOperation> = {
  AdminSetUserPassword: adminSetUserPassword,
  AdminResetUserPassword: adminResetUserPassword,
};
