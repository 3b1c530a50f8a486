/**
 * The schema as one ordered list of versioned steps, each with its SQLite and PostgreSQL DDL side
 * by side; `migrate.ts` applies it on either backend. Kept in TypeScript so the `tsc` build
 * carries it (no loose .sql files to copy next to `dist/`). Append new steps with the next
 * version; never edit one that has shipped, since databases in the field already ran it.
 */
import { INITIAL_MIGRATION } from "./dataset-migrations.js";
import { DEVICES_MIGRATION } from "./device-migrations.js";
import { GROUPS_MIGRATION } from "./group-migrations.js";
import { KEYS_MIGRATION } from "./key-migrations.js";
import { LEASES_MIGRATION } from "./lease-migrations.js";
import { IDENTITY_MIGRATION } from "./identity-migrations.js";
import type { Migration } from "./migration.js";
import { RECORD_CHANGE_TIME_MIGRATION } from "./record-change-time-migrations.js";
import { STREAM_MIGRATION } from "./stream-migrations.js";
import { AUTH_EVENTS_MIGRATION } from "./auth-event-migrations.js";
import { USER_POOL_GROUPS_MIGRATION } from "./user-pool-group-migrations.js";
import { USER_POOL_MFA_MIGRATION, USER_POOL_MIGRATION } from "./user-pool-migrations.js";
import { USER_POOL_WEBAUTHN_MIGRATION } from "./user-pool-webauthn-migrations.js";
import { USER_POOL_MFA_OPTIONS_MIGRATION } from "./user-pool-mfa-migrations.js";
import { USER_POOL_USED_SESSIONS_MIGRATION } from "./user-pool-used-session-migrations.js";
import { USER_POOL_SESSION_SCOPE_MIGRATION } from "./user-pool-session-scope-migrations.js";

export const MIGRATIONS: readonly Migration[] = [
  // Version 1: pools, identities, datasets, records, remembered push answers (`dataset-migrations.ts`).
  INITIAL_MIGRATION,
  // Version 2: push devices and their dataset subscriptions (`device-migrations.ts`).
  DEVICES_MIGRATION,
  // Version 3: the event stream, consumer checkpoints, dead letters (`stream-migrations.ts`).
  STREAM_MIGRATION,
  // Version 4: logins, identity status, dataset merges (`identity-migrations.ts`).
  IDENTITY_MIGRATION,
  // Version 5: consumer leases across instances (`lease-migrations.ts`).
  LEASES_MIGRATION,
  // Version 6: server keys, sealed under the master key (`key-migrations.ts`).
  KEYS_MIGRATION,
  // Version 7: group members (`group-store.ts`).
  GROUPS_MIGRATION,
  // Version 8: the built-in user pool (`user-pool-migrations.ts`).
  USER_POOL_MIGRATION,
  // Version 9: the user pool's TOTP, lockout and password history (`user-pool-migrations.ts`).
  USER_POOL_MFA_MIGRATION,
  // Version 10: the user pool's groups (`user-pool-group-migrations.ts`).
  USER_POOL_GROUPS_MIGRATION,
  // Version 11: the user pool's passkeys (`user-pool-webauthn-migrations.ts`).
  USER_POOL_WEBAUTHN_MIGRATION,
  // Version 12: the user pool's audit log (`auth-event-migrations.ts`).
  AUTH_EVENTS_MIGRATION,
  // Version 13: the user pool's email and SMS MFA settings (`user-pool-mfa-migrations.ts`).
  USER_POOL_MFA_OPTIONS_MIGRATION,
  // Version 14: the user pool's answered challenge sessions (`user-pool-used-session-migrations.ts`).
  USER_POOL_USED_SESSIONS_MIGRATION,
  // Version 15: records by change time, for the model API's delta sync (`record-change-time-migrations.ts`).
  RECORD_CHANGE_TIME_MIGRATION,
  // Version 16: the scopes a user-pool session was granted (`user-pool-session-scope-migrations.ts`).
  USER_POOL_SESSION_SCOPE_MIGRATION,
];
