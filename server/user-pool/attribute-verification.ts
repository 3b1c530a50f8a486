/**
 * GetUserAttributeVerificationCode and VerifyUserAttribute, for `email` (a mailed code) and
 * `phone_number` (a code texted through the pool's `smsSender`): the code, six digits valid 24
 * hours and good once (`user-codes.ts`), sets `email_verified` or `phone_number_verified`. A
 * verified email or phone number is what email and SMS MFA need (`mfa-preference.ts`).
 */
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { sendSmsCode } from "./sms-codes.js";
import { consumeCode, sendCode } from "./user-codes.js";
import type { UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { requiredString, type Body } from "./user-pool-input.js";
import { verifyAccessToken } from "./user-pool-tokens.js";

/** The attribute named by the request, which the user must have. */
function verifiableOf(body: Body, user: UserPoolUserWithAttributes): "email" | "phone_number" {
  const name = requiredString(body, "AttributeName", 32);
  if (name !== "email" && name !== "phone_number") throw new UserPoolError("InvalidParameterException", `${name.slice(0, 32)} is not an attribute that can be verified: only email and phone_number are.`);
  if (user.attributes[name] === undefined) throw new UserPoolError("InvalidParameterException", `User has no ${name} to verify.`);
  return name;
}

/** GetUserAttributeVerificationCode. */
export async function getUserAttributeVerificationCode(deps: UserPoolDeps, body: Body) {
  const { pool, user, session } = await verifyAccessToken(deps, body["AccessToken"]);
  const name = verifiableOf(body, user);
  const context = { clientId: session.clientId, triggerSource: "CustomMessage_VerifyUserAttribute", clientMetadata: body["ClientMetadata"] };
  const delivery = name === "email" ? await sendCode(deps, pool, user, "VERIFY:email", undefined, context) : await sendSmsCode(deps, pool, user, "VERIFY:phone_number");
  return { CodeDeliveryDetails: delivery };
}

/** VerifyUserAttribute. */
export async function verifyUserAttribute(deps: UserPoolDeps, body: Body) {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  const name = verifiableOf(body, user);
  await consumeCode(deps, pool, user, `VERIFY:${name}`, requiredString(body, "Code", 2048));
  await deps.store.setAttributes(pool.settings.id, user.sub, { [`${name}_verified`]: "true" }, deps.now());
  return {};
}
