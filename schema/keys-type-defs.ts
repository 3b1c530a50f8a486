/**
 * The server keys' part of the GraphQL contract (admin token only): rotating the token signing key
 * and the sync session secret, as `syncpool keys rotate` does. The prose (overlap, how soon other
 * instances follow, what a second rotation drops) is in `docs/operations.md`.
 */
export const keysTypeDefs = /* GraphQL */ `
extend type Mutation {
  """
  Admin: signs new tokens with a new key from now on, on every instance within a second. Tokens
  and session tokens signed before stay valid until they expire (the previous keys still verify);
  a second rotation drops the oldest keys.
  """
  rotateServerKeys: KeyRotation!
}

"What a rotation stored."
type KeyRotation {
  "The key table's generation after the rotation."
  generation: Int!
  "The new key of each kind rotated (token-signing, session)."
  rotated: [RotatedKey!]!
}

"A new key: its kind and id (the JWKS kid for token-signing). Never the key itself."
type RotatedKey {
  kind: String!
  keyId: String!
}
`;
