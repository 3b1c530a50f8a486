/**
 * ForgotPassword and ConfirmForgotPassword: a code mailed to the user's verified email sets a new
 * password (not one of the pool's password history). For a user who does not exist the first answers with a simulated delivery and the
 * second with CodeMismatchException (PreventUserExistenceErrors).
 */
import type { UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { makeCredentials } from "./credentials.js";
import { checkPasswordHistory, rememberReplacedPassword } from "./password-history.js";
import { checkPasswordPolicy } from "./passwords.js";
import { migrateForgottenUser } from "./triggers/user-migration.js";
import { consumeCode, sendCode, simulatedDelivery } from "./user-codes.js";
import { postConfirmation } from "./triggers/sign-up-triggers.js";
import { clientOf, findUser, requiredString, type Body } from "./user-pool-input.js";

/** ForgotPassword. */
export async function forgotPassword(deps: UserPoolDeps, body: Body) {
  const name = requiredString(body, "Username", 128);
  const loaded = clientOf(deps, body, name);
  const { pool } = loaded;
  const user = (await findUser(deps, pool, name)) ?? (await migrateForgottenUser(deps, loaded, name, body));
  if (user === null) return { CodeDeliveryDetails: simulatedDelivery(name) };
  if (!user.enabled) throw new UserPoolError("NotAuthorizedException", "User is disabled.");
  if (user.attributes["email_verified"] !== "true") {
    throw new UserPoolError("InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number");
  }
  return { CodeDeliveryDetails: await sendCode(deps, pool, user, "FORGOT_PASSWORD", undefined, { clientId: loaded.client.id, clientMetadata: body["ClientMetadata"] }) };
}

/** ConfirmForgotPassword. */
export async function confirmForgotPassword(deps: UserPoolDeps, body: Body) {
  const name = requiredString(body, "Username", 128);
  const loaded = clientOf(deps, body, name);
  const { pool } = loaded;
  const code = requiredString(body, "ConfirmationCode", 2048);
  const password = requiredString(body, "Password", 256);
  const user = await findUser(deps, pool, name);
  if (user === null) throw new UserPoolError("CodeMismatchException", "Invalid verification code provided, please try again.");
  checkPasswordPolicy(pool.settings.passwordPolicy, password);
  await consumeCode(deps, pool, user, "FORGOT_PASSWORD", code);
  // After the code, so only the holder of a good code learns that a password is in the history.
  await checkPasswordHistory(deps, pool, user, password);
  const credentials = await makeCredentials(deps, pool, user.username, user.sub, password);
  await deps.store.updateUser(pool.settings.id, user.sub, { ...credentials, ...(user.status === "RESET_REQUIRED" ? { status: "CONFIRMED" } : {}), updatedAt: deps.now() });
  await rememberReplacedPassword(deps, pool, user);
  await postConfirmation(deps, pool, loaded.client.id, (await deps.store.getUserBySub(pool.settings.id, user.sub))!, "PostConfirmation_ConfirmForgotPassword", body["ClientMetadata"]);
  return {};
}
