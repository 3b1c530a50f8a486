/**
 * Every operation of the user-pool API by its X-Amz-Target name: those of app clients and signed-in
 * users, and the pool developer's (SigV4-signed, `admin-auth.ts`). `user-pool-service.ts` dispatches to them.
 */
import type { DeveloperOperation } from "./developer-operation.js";
import { ADMIN_MFA_OPERATIONS } from "./admin-mfa-preference.js";
import { ADMIN_USER_OPERATIONS } from "./admin-users.js";
import { AUDIT_OPERATIONS } from "./admin-list-user-auth-events.js";
import { GROUP_OPERATIONS } from "./groups.js";
import { associateSoftwareToken, verifySoftwareToken } from "./software-token.js";
import { changePassword, deleteUser, getUser, globalSignOut, updateUserAttributes } from "./account.js";
import { completeWebAuthnRegistration, deleteWebAuthnCredential, listWebAuthnCredentials, startWebAuthnRegistration } from "./webauthn-registration.js";
import { confirmForgotPassword, forgotPassword } from "./forgot-password.js";
import { confirmSignUp, resendConfirmationCode, signUp } from "./sign-up.js";
import { getTokensFromRefreshToken, revokeToken } from "./refresh-tokens.js";
import { getUserAttributeVerificationCode, verifyUserAttribute } from "./attribute-verification.js";
import { getUserAuthFactors } from "./user-auth.js";
import { initiateAuth, respondToAuthChallenge } from "./initiate-auth.js";
import { setUserMfaPreference } from "./mfa-preference.js";
import type { UserPoolDeps } from "./user-pool-deps.js";
import type { Body } from "./user-pool-input.js";

/** The operations of app clients and signed-in users, by X-Amz-Target name; the developer's are `DEVELOPER_OPERATIONS`. */
export const OPERATIONS: Record<string, (deps: UserPoolDeps, body: Body) => Promise<unknown>> = {
  SignUp: signUp,
  ConfirmSignUp: confirmSignUp,
  ResendConfirmationCode: resendConfirmationCode,
  InitiateAuth: initiateAuth,
  RespondToAuthChallenge: respondToAuthChallenge,
  GetTokensFromRefreshToken: getTokensFromRefreshToken,
  RevokeToken: revokeToken,
  GetUser: getUser,
  UpdateUserAttributes: updateUserAttributes,
  ChangePassword: changePassword,
  GlobalSignOut: globalSignOut,
  DeleteUser: deleteUser,
  ForgotPassword: forgotPassword,
  ConfirmForgotPassword: confirmForgotPassword,
  AssociateSoftwareToken: associateSoftwareToken,
  VerifySoftwareToken: verifySoftwareToken,
  SetUserMFAPreference: setUserMfaPreference,
  StartWebAuthnRegistration: startWebAuthnRegistration,
  CompleteWebAuthnRegistration: completeWebAuthnRegistration,
  ListWebAuthnCredentials: listWebAuthnCredentials,
  DeleteWebAuthnCredential: deleteWebAuthnCredential,
  GetUserAuthFactors: getUserAuthFactors,
  GetUserAttributeVerificationCode: getUserAttributeVerificationCode,
  VerifyUserAttribute: verifyUserAttribute,
};

/** The pool developer's operations (SigV4-signed, `admin-auth.ts`), by X-Amz-Target name. */
export const DEVELOPER_OPERATIONS: Record<string, DeveloperOperation> = { ...GROUP_OPERATIONS, ...ADMIN_USER_OPERATIONS, ...AUDIT_OPERATIONS, ...ADMIN_MFA_OPERATIONS };
