/**
 * What the user-pool operations are built from (`user-pool-service.ts` assembles it): storage, the
 * pools and their app clients with their signing keys, the keys that seal SRP blocks and sessions
 * and hash codes, the mailer, and the clock.
 */
import type { Logger } from "../logger.js";
import type { SecretBox } from "../secret-box.js";
import type { UserPoolStore } from "../storage/user-pool-store.js";
import type { RequestAuditLog } from "./audit-log.js";
import type { CodeMailer } from "./code-mailer.js";
import type { SmsSender } from "./sms-sender.js";
import type { UserPoolClientSettings, UserPoolSettings } from "./user-pool-config.js";
import type { UserPoolKey } from "./user-pool-keys.js";
import type { UserPoolTriggers } from "./triggers/user-pool-triggers.js";
import type { CognitoMigrationSource } from "./migration/cognito-migration-source.js";

/** A served pool. */
export interface LoadedUserPool {
  settings: UserPoolSettings;
  /** Its token signing key, loaded on first use. */
  key: UserPoolKey;
  /** `<public url><aws prefix>/cognito-idp/<poolId>`: tokens' `iss`. */
  issuer: string;
  /** The SRP pool name: the part of the id after `_`, as clients derive it. */
  srpPoolName: string;
}

/** An app client, with its pool. */
export interface LoadedClient {
  pool: LoadedUserPool;
  client: UserPoolClientSettings;
}

/** See the module comment. */
export interface UserPoolDeps {
  store: UserPoolStore;
  pools: ReadonlyMap<string, LoadedUserPool>;
  /** By client id (unique across pools, as Cognito's are). */
  clients: ReadonlyMap<string, LoadedClient>;
  /** Seals SRP verifiers at rest. */
  box: SecretBox;
  /** AES-256 key of SRP secret blocks and challenge sessions (stateless, shared by instances). */
  sessionKey: Uint8Array;
  /** HMAC key of stored codes and refresh-token hashes. */
  hashKey: Uint8Array;
  mailer: CodeMailer;
  /** The pools' Cognito triggers (`triggers/`). */
  triggers: UserPoolTriggers;
  /** The audit log, bound to the request being answered (`audit-log.ts`). */
  audit: RequestAuditLog;
  /** Texts codes through a pool's `smsSender` webhook. */
  sms: SmsSender;
  /** The developer key pair of an identity pool (null: none), which signs Admin* and group calls. */
  developerCredentialsOf(identityPoolId: string): Promise<{ accessKeyId: string; secretAccessKey: string } | null>;
  /** The live pool a pool's unknown users are looked up in (`migrateFrom`), or null. */
  migrationSourceOf(poolId: string): CognitoMigrationSource | null;
  now: () => number;
  logger: Logger;
}
