/**
 * Pre sign-up and post confirmation. Pre sign-up runs before the user is stored, so a refusal
 * leaves nothing behind; its answer may confirm the user at once (`autoConfirmUser`) and mark the
 * email verified (`autoVerifyEmail`, only with `autoConfirmUser`, as Cognito requires). Post
 * confirmation runs once a code confirmed the user, after ConfirmSignUp, AdminConfirmSignUp or
 * ConfirmForgotPassword (not after a confirming pre sign-up); as in Cognito, a failing post confirmation is reported to the caller but
 * does not undo the confirmation.
 */
import type { UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import type { LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { UserPoolError } from "../user-pool-errors.js";
import type { Body } from "../user-pool-input.js";
import { stringMap, triggerAttributes } from "./user-pool-triggers.js";

/** What pre sign-up decided. */
export interface PreSignUpDecision {
  autoConfirmUser: boolean;
  autoVerifyEmail: boolean;
}

const flag = (response: Record<string, unknown>, field: string): boolean => {
  const value = response[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new UserPoolError("InvalidLambdaResponseException", "Unrecognizable lambda output");
  return value;
};

/** `callerContext.clientId` of operations no app client makes (the developer's Admin* calls), as Cognito sends it. */
export const NO_CLIENT_ID = "CLIENT_ID_NOT_APPLICABLE";

/**
 * PreSignUp_SignUp for the SignUp request `body` of app client `clientId` (validation data and
 * client metadata are passed on), or PreSignUp_AdminCreateUser, whose answer changes nothing.
 */
export async function preSignUp(
  deps: UserPoolDeps,
  pool: LoadedUserPool,
  clientId: string,
  username: string,
  attributes: Record<string, string>,
  body: Body,
  source: "PreSignUp_SignUp" | "PreSignUp_AdminCreateUser" = "PreSignUp_SignUp",
): Promise<PreSignUpDecision> {
  const response = await deps.triggers.run(pool.settings.id, "preSignUp", {
    triggerSource: source,
    userName: username,
    clientId,
    request: { userAttributes: attributes, validationData: stringMap(body["ValidationData"]) ?? null, clientMetadata: stringMap(body["ClientMetadata"]) ?? {} },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  });
  if (response === null || source === "PreSignUp_AdminCreateUser") return { autoConfirmUser: false, autoVerifyEmail: false };
  const autoConfirmUser = flag(response, "autoConfirmUser");
  const autoVerifyEmail = flag(response, "autoVerifyEmail");
  flag(response, "autoVerifyPhone");
  return { autoConfirmUser, autoVerifyEmail: autoConfirmUser && autoVerifyEmail };
}

/** PostConfirmation_ConfirmSignUp (also after AdminConfirmSignUp) or _ConfirmForgotPassword for `user` as it now is. */
export async function postConfirmation(
  deps: UserPoolDeps,
  pool: LoadedUserPool,
  clientId: string,
  user: UserPoolUserWithAttributes,
  source: "PostConfirmation_ConfirmSignUp" | "PostConfirmation_ConfirmForgotPassword",
  clientMetadata: unknown,
): Promise<void> {
  await deps.triggers.run(pool.settings.id, "postConfirmation", {
    triggerSource: source,
    userName: user.username,
    clientId,
    request: { userAttributes: triggerAttributes(user), clientMetadata: stringMap(clientMetadata) ?? {} },
  });
}
