/**
 * The identity area of the GraphQL contract: developer-authenticated identities, linking and
 * unlinking logins, and the admin API's identity calls. Extends the core contract in
 * `schema/type-defs.ts` (where `signIn`, `Session` and `LoginInput` live); the prose (providers,
 * roles and rules, guest merge, rate limits) is in `docs/identity.md`.
 */
export const identityTypeDefs = /* GraphQL */ `
extend type Query {
  "Admin: a pool's identities ordered by id, with their logins (never secrets)."
  identities(identityPoolId: String!, first: Int = 100, after: String): IdentityPage!
}

extend type Mutation {
  """
  For the app's backend, authenticated with the pool's developer key ('Authorization: Bearer
  <developer key>'): a token for the identity of developerUserId, created on first use. With
  identityId (the guest the app used before), that identity is upgraded in place when the user
  has none yet, or merged into the user's identity (see mergedIdentityIds).
  """
  getTokenForDeveloperIdentity(identityPoolId: String!, developerUserId: String!, identityId: String): Session!
  """
  Links a login to the caller's identity and answers a fresh token. A login of another identity
  is CONFLICT (reason LOGIN_LINKED_ELSEWHERE) unless merge is true: then the caller's identity
  merges into the login's, and the session is the login's identity. Needs proof besides the token
  (see IdentityProofInput); without it the answer is UNAUTHENTICATED, reason PROOF_REQUIRED.
  """
  linkLogin(login: LoginInput!, merge: Boolean = false, proof: IdentityProofInput): Session!
  """
  Unlinks the caller's logins of a provider (name or issuer host). Refused for the last way in.
  Needs proof besides the token, as linkLogin does.
  """
  unlinkLogin(provider: String!, proof: IdentityProofInput): Identity!
  "Admin: disables an identity; its tokens stop working at once. Idempotent."
  disableIdentity(identityId: String!): Identity!
}

"""
Fresh proof that the caller owns its identity, beside its token (a token alone may have leaked).
Give one: a guest's deviceSecret (only while the identity has no login), a login token of a
login the identity holds, or the pool's developer key (the app's backend acting for a user).
The argument is optional in the schema so that an older client gets a clear PROOF_REQUIRED
error instead of a validation error.
"""
input IdentityProofInput {
  deviceSecret: String
  login: LoginInput
  developerKey: String
}

"A login linked to an identity."
type Login {
  "The provider's issuer URL, or the developer provider's name."
  provider: String!
  "The user id the provider gave (sub, or the developer user id)."
  subject: String!
  linkedAt: Timestamp!
}

"An identity as its owner and the admin API see it."
type Identity {
  identityId: String!
  identityPoolId: String!
  "True when the identity holds a device secret (it began as a guest)."
  hasDeviceSecret: Boolean!
  createdAt: Timestamp!
  "When it was disabled (by an admin, or by merging into another); null while active."
  disabledAt: Timestamp
  "The identity it was merged into, or null."
  mergedInto: String
  logins: [Login!]!
}

type IdentityPage {
  identities: [Identity!]!
  "Pass as 'after' for the next page; null on the last page."
  nextCursor: String
}
`;
