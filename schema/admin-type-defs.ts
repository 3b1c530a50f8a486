/**
 * The admin API's view into one identity's data, for the console (`console/`) and operators:
 * find an identity by id or login, read its datasets and records, delete a dataset, and read a
 * pool's settings with secrets masked; manage the members of a pool's groups (shared datasets). Admin token only. Extends the core contract
 * (`type-defs.ts`) and uses types of the identity and stream areas (`Identity`, `JSON`).
 */
export const adminTypeDefs = /* GraphQL */ `
extend type Query {
  "Admin: one identity by id; null when there is none."
  identity(identityId: String!): Identity
  "Admin: the identity of a pool holding a login (provider: issuer URL or developer provider name); null when none does."
  identityByLogin(identityPoolId: String!, provider: String!, subject: String!): Identity
  "Admin: an identity's live datasets and its usage against its pool's limits."
  identityDatasets(identityId: String!): IdentityDatasets!
  "Admin: records of an identity's dataset, paged as records() pages them."
  identityRecords(identityId: String!, dataset: String!, sinceSyncCount: Int = 0, first: Int = 500, after: String): RecordPage!
  "Admin: a pool's settings as stored (roles, providers, limits, stream), every secret replaced by a mask."
  identityPoolSettings(identityPoolId: String!): JSON
  "Admin: the identity ids in a pool's group, ordered; empty for a group without members."
  groupMembers(identityPoolId: String!, group: String!): [String!]!
}

extend type Mutation {
  "Admin: deletes an identity's dataset as its owner's deleteDataset would (stream event, notifications)."
  deleteIdentityDataset(identityId: String!, dataset: String!): DeleteDatasetResult!
  "Admin: adds an identity of the pool to a group; false when it was a member already."
  addGroupMember(identityPoolId: String!, group: String!, identityId: String!): Boolean!
  "Admin: removes an identity from a pool's group; false when it was not a member."
  removeGroupMember(identityPoolId: String!, group: String!, identityId: String!): Boolean!
}

type IdentityDatasets {
  usage: Usage!
  datasets: [Dataset!]!
}
`;
