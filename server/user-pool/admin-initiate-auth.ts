/**
 * AdminInitiateAuth and AdminRespondToAuthChallenge: sign-ins a trusted back end makes for a user,
 * signed with the pool's developer credentials (`admin-auth.ts`). ADMIN_USER_PASSWORD_AUTH (and its
 * older name ADMIN_NO_SRP_AUTH) checks the password as USER_PASSWORD_AUTH does, lockout, triggers
 * and user migration included; REFRESH_TOKEN_AUTH refreshes. The answer is InitiateAuth's: tokens,
 * or a challenge whose Session AdminRespondToAuthChallenge (or RespondToAuthChallenge) answers.
 * The client must be one of the named pool's.
 */
import type { DeveloperOperation } from "./developer-operation.js";
import { parameter, parametersOf, passwordSignIn, respondToAuthChallenge } from "./initiate-auth.js";
import { authClientOf, refreshSession } from "./refresh-tokens.js";
import type { LoadedClient, LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { requiredString, type Body } from "./user-pool-input.js";

/** The app client of a developer's sign-in, which must belong to `pool`. @throws ResourceNotFoundException */
function poolClientOf(deps: UserPoolDeps, body: Body, pool: LoadedUserPool, parameters: Record<string, unknown>): LoadedClient {
  const username = typeof parameters["USERNAME"] === "string" ? parameters["USERNAME"] : null;
  const loaded = authClientOf(deps, body, parameters, username);
  if (loaded.pool !== pool) throw new UserPoolError("ResourceNotFoundException", `User pool client ${loaded.client.id} does not exist.`);
  return loaded;
}

/** AdminInitiateAuth. */
export const adminInitiateAuth: DeveloperOperation = async (deps, body, pool) => {
  const flow = requiredString(body, "AuthFlow", 64);
  const parameters = parametersOf(body, "AuthParameters");
  const loaded = poolClientOf(deps, body, pool, parameters);
  switch (flow) {
    case "ADMIN_USER_PASSWORD_AUTH":
    case "ADMIN_NO_SRP_AUTH":
      return passwordSignIn(deps, loaded, parameter(parameters, "USERNAME"), parameter(parameters, "PASSWORD"), body);
    case "REFRESH_TOKEN_AUTH":
    case "REFRESH_TOKEN":
      return { AuthenticationResult: await refreshSession(deps, loaded, parameter(parameters, "REFRESH_TOKEN")), ChallengeParameters: {} };
    case "USER_SRP_AUTH":
    case "CUSTOM_AUTH":
    case "USER_AUTH":
    case "USER_PASSWORD_AUTH":
      throw new UserPoolError("InvalidParameterException", `Initiate Auth method not supported: AdminInitiateAuth takes ADMIN_USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH here.`);
    default:
      throw new UserPoolError("InvalidParameterException", `1 validation error detected: Value '${flow.slice(0, 64)}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set`);
  }
};

/** AdminRespondToAuthChallenge: RespondToAuthChallenge for a client of the named pool. */
export const adminRespondToAuthChallenge: DeveloperOperation = async (deps, body, pool) => {
  poolClientOf(deps, body, pool, parametersOf(body, "ChallengeResponses"));
  return respondToAuthChallenge(deps, body);
};

/** The developer's sign-in operations by X-Amz-Target name. */
export const ADMIN_AUTH_OPERATIONS: Record<string, DeveloperOperation> = {
  AdminInitiateAuth: adminInitiateAuth,
  AdminRespondToAuthChallenge: adminRespondToAuthChallenge,
};
