/**
 * The push area of the GraphQL contract: live subscriptions (`datasetChanged`, over graphql-ws on
 * `/graphql` and over SSE) and registered devices notified when not connected (Cognito's
 * RegisterDevice / SubscribeToDataset). Extends the core contract in `schema/type-defs.ts`; the
 * prose (close codes, limits, guarantees) is in `docs/push.md`.
 */
export const pushTypeDefs = /* GraphQL */ `
type Subscription {
  """
  Changes of the caller's datasets as they commit: of one dataset, or of all of them when
  dataset is omitted. Every device of the identity hears every change, the writer's other tabs
  included (skip events carrying your own mutationId). Pass sinceSyncCount (with dataset) when
  resuming: if the server is ahead, the first event has behind: true and you should pull.
  Events are hints: one missed (a dropped connection) is caught up by the next pull.
  With shared: true, changes of the pool's shared datasets instead: of one (refused with
  FORBIDDEN, reason SHARED_DENIED, when the caller may not read it), or of every shared dataset the
  caller may read at the time of each change (group membership is checked per change).
  """
  datasetChanged(dataset: String, sinceSyncCount: Int, shared: Boolean): DatasetChange!
}

"One committed change of a dataset, or the news that a resuming device is behind."
type DatasetChange {
  dataset: String!
  "The dataset's sync count after the change (for behind: true, the server's count now)."
  syncCount: Int!
  "The device that pushed; null for a deletion, a server-side change or a behind event."
  deviceId: String
  "The push's mutation id: a device skips events of its own pushes."
  mutationId: String
  "The dataset was deleted: drop local records and pull from 0."
  deleted: Boolean!
  """
  The records the change stamped with syncCount, tombstones included, when their JSON is under
  64 KB; null when larger (or for behind events): pull since your last count instead.
  """
  records: [Record!]
  "True only for the first event of a subscription resumed with an older sinceSyncCount."
  behind: Boolean!
  "True when dataset is a shared dataset (pull and push it with shared: true)."
  shared: Boolean!
}

enum DevicePlatform {
  "A browser's Push API subscription, notified through its push service (Web Push, VAPID)."
  WEB_PUSH
  "Your own push gateway: notifications are POSTed as signed JSON to the device's url."
  WEBHOOK
}

input PushSubscriptionKeysInput {
  "The subscription's P-256 public key, base64url (PushSubscription.toJSON().keys.p256dh)."
  p256dh: String!
  "The subscription's 16-byte auth secret, base64url."
  auth: String!
}

"A browser PushSubscription, as PushSubscription.toJSON() gives it."
input PushSubscriptionInput {
  endpoint: String!
  keys: PushSubscriptionKeysInput!
}

input RegisterDeviceInput {
  platform: DevicePlatform!
  "The id the device pushes with, so it is not notified of its own changes. Generated when omitted."
  deviceId: String
  "WEB_PUSH: the browser's push subscription."
  subscription: PushSubscriptionInput
  "WEBHOOK: where to POST notifications; its origin must be allowed by the server."
  url: String
  "WEBHOOK: an opaque device token (APNs, FCM) forwarded to the gateway with each notification."
  token: String
}

type RegisterDeviceResult {
  deviceId: String!
}

type RegisteredDevice {
  deviceId: String!
  platform: DevicePlatform!
  "Datasets the device is notified about."
  datasets: [String!]!
  createdAt: Timestamp!
  updatedAt: Timestamp!
}

extend type Query {
  "The VAPID public key (base64url): pass it as applicationServerKey to pushManager.subscribe()."
  webPushPublicKey: String!
  "The caller's registered devices."
  registeredDevices: [RegisteredDevice!]!
}

extend type Mutation {
  "Registers a device for push notifications, or renews its registration (same deviceId)."
  registerDevice(input: RegisterDeviceInput!): RegisterDeviceResult!
  "Notifies the device when the dataset changes (the dataset need not exist yet). Idempotent."
  subscribeToDataset(dataset: String!, deviceId: String!): Boolean!
  "Stops notifying the device about the dataset; false when it was not subscribed."
  unsubscribeFromDataset(dataset: String!, deviceId: String!): Boolean!
  "Removes the device and its subscriptions; false when it was not registered."
  unregisterDevice(deviceId: String!): Boolean!
}
`;
