/**
 * `syncpool/client/user-pool`: sign-up and sign-in against syncpool's user pool, kept apart from
 * `syncpool/client` so apps that do not use it pay nothing for it. See docs/client.md.
 */
export { userPoolAuth, UserPoolAuth, type MfaType, type SignsIn, type UserPoolAuthOptions, type UserPoolSignInResult, type UserPoolTokens } from "./user-pool-auth.js";
export { UserPoolError } from "../transport/user-pool-call.js";
