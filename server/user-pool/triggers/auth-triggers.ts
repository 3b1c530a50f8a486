/**
 * Pre and post authentication. Pre authentication runs when a known user starts a sign-in, before
 * the password is checked: a refusal ends the sign-in with Cognito's
 * "PreAuthentication failed with error <message>." (UserLambdaValidationException). Post
 * authentication runs once the user proved who they are, before the session starts: a refusal
 * there issues no tokens.
 */
import type { UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import type { LoadedClient, UserPoolDeps } from "../user-pool-deps.js";
import { stringMap, triggerAttributes } from "./user-pool-triggers.js";

/** PreAuthentication_Authentication; `clientMetadata` is the InitiateAuth request's, passed as Cognito does, as `validationData`. */
export async function preAuthentication(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes, clientMetadata: unknown): Promise<void> {
  await deps.triggers.run(loaded.pool.settings.id, "preAuthentication", {
    triggerSource: "PreAuthentication_Authentication",
    userName: user.username,
    clientId: loaded.client.id,
    request: { userAttributes: triggerAttributes(user), validationData: stringMap(clientMetadata) ?? {}, userNotFound: false },
  });
}

/** PostAuthentication_Authentication. */
export async function postAuthentication(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes): Promise<void> {
  await deps.triggers.run(loaded.pool.settings.id, "postAuthentication", {
    triggerSource: "PostAuthentication_Authentication",
    userName: user.username,
    clientId: loaded.client.id,
    request: { userAttributes: triggerAttributes(user), newDeviceUsed: false, clientMetadata: {} },
  });
}
