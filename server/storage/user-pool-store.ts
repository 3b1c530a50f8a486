/**
 * The built-in user pool's rows (`server/user-pool/`): users and their attributes, one-time codes,
 * sign-in sessions with their refresh tokens, TOTP authenticators, failed sign-ins and replaced
 * passwords, groups. Every backend reaches it as `storage.userPools`,
 * written once in `sql-user-pools.ts` on the tables of migrations 8 and 9 (`user-pool-migrations.ts`),
 * checked by `test/conformance/storage-suite-user-pools.ts`.
 *
 * Storage keeps rows and makes the two steps that must be atomic atomic (a refresh token used
 * once, a code's attempts counted); every rule (who may sign in, what a code is worth) lives in
 * `server/user-pool/`. Secrets arrive already hashed or sealed.
 */

/** Cognito's user statuses that this pool uses. */
export type UserPoolUserStatus = "UNCONFIRMED" | "CONFIRMED" | "FORCE_CHANGE_PASSWORD" | "RESET_REQUIRED";

/** A user as stored, without attributes. */
export interface UserPoolUser {
  poolId: string;
  username: string;
  /** The user's immutable id (a UUID): tokens' `sub`. */
  sub: string;
  status: UserPoolUserStatus;
  enabled: boolean;
  /** argon2id PHC string. */
  passwordHash: string;
  /** SRP salt, hex. */
  srpSalt: string;
  /** SRP verifier, sealed under the master key. */
  srpVerifier: string;
  createdAt: number;
  updatedAt: number;
}

/** A user with its attributes (name to value; `sub` is not among them). */
export interface UserPoolUserWithAttributes extends UserPoolUser {
  attributes: Record<string, string>;
}

/** The fields of a user that change after sign-up. */
export type UserPoolUserPatch = Partial<Pick<UserPoolUser, "status" | "enabled" | "passwordHash" | "srpSalt" | "srpVerifier">> & { updatedAt: number };

/** A one-time code (sign-up confirmation, password reset, attribute verification), stored hashed. */
export interface UserPoolCode {
  poolId: string;
  sub: string;
  /** What the code confirms, e.g. `SIGN_UP`, `FORGOT_PASSWORD`, `VERIFY:email`: one live code per purpose. */
  purpose: string;
  codeHash: string;
  /** Wrong answers so far. */
  attempts: number;
  expiresAt: number;
  createdAt: number;
}

/** One sign-in: every token issued from it carries its id as `origin_jti`. */
export interface UserPoolSession {
  originJti: string;
  poolId: string;
  sub: string;
  clientId: string;
  /** When the user signed in (epoch seconds), kept on refresh as Cognito keeps `auth_time`. */
  authTime: number;
  createdAt: number;
  /** When its refresh tokens stop working, epoch ms. */
  expiresAt: number;
  revokedAt: number | null;
  /** The scopes its access tokens carry, space separated, as the hosted UI's code granted them; null: the API's own scope. */
  scope: string | null;
}

/** What presenting a refresh token found. */
export type RefreshTokenUse =
  | { outcome: "unknown" }
  /** The token was current (or replaced within the grace): `session` is its sign-in. */
  | { outcome: "rotated"; session: UserPoolSession }
  /** The token had been replaced before the grace: the whole session has now been revoked. */
  | { outcome: "reused"; session: UserPoolSession };

/** A user's TOTP authenticator (Cognito's software token); secrets arrive sealed. */
export interface UserPoolTotp {
  poolId: string;
  sub: string;
  /** The verified secret; null until a code has verified one. */
  secret: string | null;
  /** A secret AssociateSoftwareToken made that no code has verified yet. */
  pendingSecret: string | null;
  /** The FriendlyDeviceName given when the secret was verified. */
  deviceName: string | null;
  /** Whether sign-in asks for a code (SetUserMFAPreference). */
  enabled: boolean;
  preferred: boolean;
  /** The 30-second step of the last accepted code: codes of that step or earlier are refused. */
  lastStep: number | null;
  updatedAt: number;
}

/** Which MFA is enabled for a user besides TOTP (Cognito's EmailMfaSettings, SMSMfaSettings). */
export interface UserPoolMfaOptions {
  poolId: string;
  sub: string;
  emailEnabled: boolean;
  smsEnabled: boolean;
  /** The preferred MFA when it is email or SMS; TOTP's preference is `UserPoolTotp.preferred`. */
  preferred: "EMAIL_OTP" | "SMS_MFA" | null;
  updatedAt: number;
}

/** A user's failed sign-ins since the last success (Cognito's lockout counts them). */
export interface UserPoolSignInFailures {
  failures: number;
  lastFailedAt: number;
}

/** A group of a pool (Cognito's GroupType). */
export interface UserPoolGroup {
  poolId: string;
  groupName: string;
  description: string | null;
  /** The role its members may take in an identity pool (`cognito:roles`). */
  roleArn: string | null;
  /** Lower wins when a user's groups name several roles (`cognito:preferred_role`); null ranks last. */
  precedence: number | null;
  createdAt: number;
  updatedAt: number;
}

/** One page of a listing, in key order; `next` is the last key of the page when more may follow. */
export interface UserPoolPage<T> {
  items: T[];
  next: string | null;
}

/** Which users a listing keeps: those whose field equals `value` (or, with `prefix`, starts with it). */
export interface UserPoolUserFilter {
  /** A column of the user (`enabled` compares with "true" or "false") or one of its attributes. */
  field: { column: "username" | "sub" | "status" | "enabled" } | { attribute: string };
  value: string;
  prefix: boolean;
}

/** The groups of the user-pool storage (`sql-user-pool-groups.ts`). */
export interface UserPoolGroupStore {
  /** Stores a new group; false (storing nothing) when the pool has one of that name. */
  createGroup(group: UserPoolGroup): Promise<boolean>;
  /** The group, or null. */
  getGroup(poolId: string, groupName: string): Promise<UserPoolGroup | null>;
  /** Up to `limit` groups named after `after` (null: from the first), by name. */
  listGroups(poolId: string, after: string | null, limit: number): Promise<UserPoolPage<UserPoolGroup>>;
  /** Replaces a group's description, role and precedence (and `updatedAt`); returns whether it exists. */
  updateGroup(group: UserPoolGroup): Promise<boolean>;
  /** Deletes a group with its memberships; returns whether it existed. */
  deleteGroup(poolId: string, groupName: string): Promise<boolean>;
  /** Adds the user to the group (nothing when it is a member already). */
  addGroupMember(poolId: string, groupName: string, sub: string, createdAt: number): Promise<void>;
  /** Removes the user from the group; returns whether it was a member. */
  removeGroupMember(poolId: string, groupName: string, sub: string): Promise<boolean>;
  /** The user's groups, by name. */
  listUserGroups(poolId: string, sub: string): Promise<UserPoolGroup[]>;
  /** Up to `limit` subs of the group's members after `after`, by sub. */
  listGroupMembers(poolId: string, groupName: string, after: string | null, limit: number): Promise<UserPoolPage<string>>;
}

/** A registered passkey of a user (Cognito's WebAuthnCredentialDescription, plus what verifying it needs). */
export interface UserPoolWebAuthnCredential {
  poolId: string;
  /** The credential id, base64url, unique within the pool. */
  credentialId: string;
  sub: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter last seen (0: the authenticator keeps none). */
  signCount: number;
  /** Cognito's AuthenticatorTransports (usb, nfc, ble, internal, hybrid...). */
  transports: string[];
  friendlyName: string;
  relyingPartyId: string;
  /** platform, cross-platform, or null when the client did not say. */
  authenticatorAttachment: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The passkeys of the user-pool storage (`sql-user-pool-webauthn.ts`). */
export interface UserPoolWebAuthnStore {
  /** Stores a new credential; false (storing nothing) when the pool has one with that id. */
  addWebAuthnCredential(credential: UserPoolWebAuthnCredential): Promise<boolean>;
  /** The credential with that id in the pool, or null. */
  getWebAuthnCredential(poolId: string, credentialId: string): Promise<UserPoolWebAuthnCredential | null>;
  /** Up to `limit` of the user's credentials with ids after `after` (null: from the first), by id. */
  listWebAuthnCredentials(poolId: string, sub: string, after: string | null, limit: number): Promise<UserPoolPage<UserPoolWebAuthnCredential>>;
  /** How many credentials the user has. */
  countWebAuthnCredentials(poolId: string, sub: string): Promise<number>;
  /** Deletes one of the user's credentials; false when the user has none with that id. */
  deleteWebAuthnCredential(poolId: string, sub: string, credentialId: string): Promise<boolean>;
  /**
   * Records a sign-in with the credential: sets its counter to `signCount` only if it still holds
   * `expectedSignCount`, so of two sign-ins racing with one counter value only one succeeds.
   */
  useWebAuthnCredential(poolId: string, credentialId: string, expectedSignCount: number, signCount: number, usedAt: number): Promise<boolean>;
}

/** Challenge sessions already answered (`sql-user-pool-used-sessions.ts`): each is answered once, across instances. */
export interface UserPoolUsedSessionStore {
  /** Records the answer to a session (its hash) that expires at `expiresAt`; false when it was answered before. One insert, atomic. */
  useChallengeSession(poolId: string, sessionHash: string, expiresAt: number): Promise<boolean>;
  /** In one transaction, deletes the code row (`poolId`, `sub`, `purpose`) and, if it was there, records the session as `useChallengeSession` does; false when the row was gone. */
  endChallengeSession(poolId: string, sub: string, purpose: string, sessionHash: string, expiresAt: number): Promise<boolean>;
  /** Whether the session (its hash) is recorded as answered; reads only. */
  isChallengeSessionUsed(poolId: string, sessionHash: string): Promise<boolean>;
  /** Forgets sessions that expired before `before`; returns how many. */
  purgeUsedChallengeSessions(before: number): Promise<number>;
}

/** The user-pool storage; see the module comment. */
export interface UserPoolStore extends UserPoolGroupStore, UserPoolWebAuthnStore, UserPoolUsedSessionStore {
  /**
   * Stores a new user with its attributes. Returns false (storing nothing) when the pool already
   * has a user of that username.
   */
  createUser(user: UserPoolUser, attributes: Record<string, string>): Promise<boolean>;
  /** The user of that username, or null. Usernames compare exactly. */
  getUser(poolId: string, username: string): Promise<UserPoolUserWithAttributes | null>;
  /** The user of that `sub`, or null. */
  getUserBySub(poolId: string, sub: string): Promise<UserPoolUserWithAttributes | null>;
  /** Up to `limit` users (with attributes) named after `after` (null: from the first), by username, kept by `filter`. */
  listUsers(poolId: string, filter: UserPoolUserFilter | null, after: string | null, limit: number): Promise<UserPoolPage<UserPoolUserWithAttributes>>;
  /** Usernames of the pool's users whose attribute `name` equals `value`, ordered. */
  findUsernamesByAttribute(poolId: string, name: string, value: string): Promise<string[]>;
  /** Changes a user's fields; returns whether the user exists. */
  updateUser(poolId: string, sub: string, patch: UserPoolUserPatch): Promise<boolean>;
  /** Sets (a string) or removes (null) attributes of a user, in one step. */
  setAttributes(poolId: string, sub: string, attributes: Record<string, string | null>, updatedAt: number): Promise<void>;
  /**
   * Renames attribute `from` to `to` for every user of the pool who has no `to` yet, in one step.
   * Answers how many were renamed, and the usernames of users who hold both (they keep both; the
   * caller reports them).
   */
  renameAttribute(poolId: string, from: string, to: string): Promise<{ renamed: number; conflicts: string[] }>;
  /** Deletes a user with its attributes, codes, sessions and refresh tokens; returns whether it existed. */
  deleteUser(poolId: string, sub: string): Promise<boolean>;

  /** Stores a code, replacing the user's live code of the same purpose. */
  saveCode(code: UserPoolCode): Promise<void>;
  /** The user's code of `purpose`, or null. */
  getCode(poolId: string, sub: string, purpose: string): Promise<UserPoolCode | null>;
  /** Counts one wrong answer; returns the attempts now. */
  countCodeAttempt(poolId: string, sub: string, purpose: string): Promise<number>;
  /** Removes the code; returns whether it existed (so two confirmations of one code cannot both win). */
  deleteCode(poolId: string, sub: string, purpose: string): Promise<boolean>;

  /** Stores a new sign-in with its first refresh token (a SHA-256 hash). */
  createSession(session: UserPoolSession, refreshTokenHash: string): Promise<void>;
  /** The session, or null. */
  getSession(originJti: string): Promise<UserPoolSession | null>;
  /**
   * Presents a refresh token (its hash) at `now`: when it is current, or was replaced less than
   * `graceMs` ago, it is marked replaced and `nextTokenHash` (when given) becomes the session's
   * current token; when it was replaced earlier, the session is revoked. One transaction, so of two
   * presentations of one token at most one rotates it outside the grace.
   */
  useRefreshToken(tokenHash: string, nextTokenHash: string | null, now: number, graceMs: number): Promise<RefreshTokenUse>;
  /** Records the scopes `originJti` was granted (the hosted UI's code, once redeemed); returns whether the session exists. */
  grantSessionScope(originJti: string, scope: string): Promise<boolean>;
  /** Revokes one session (its refresh tokens and the access tokens naming it); returns whether it was live. */
  revokeSession(originJti: string, now: number): Promise<boolean>;
  /** Revokes every live session of a user (GlobalSignOut); returns how many. */
  revokeUserSessions(poolId: string, sub: string, now: number): Promise<number>;

  /** The user's authenticator, or null. */
  getTotp(poolId: string, sub: string): Promise<UserPoolTotp | null>;
  /** Stores the user's authenticator, replacing it. */
  saveTotp(totp: UserPoolTotp): Promise<void>;
  /**
   * Accepts the time step of a code once: true when it is later than the last accepted step (and
   * is now the last), false otherwise. One statement, so of two uses of one code at most one wins.
   */
  useTotpStep(poolId: string, sub: string, step: number): Promise<boolean>;

  /** The user's email and SMS MFA settings, or null when never set. */
  getMfaOptions(poolId: string, sub: string): Promise<UserPoolMfaOptions | null>;
  /** Stores them, replacing the user's. */
  saveMfaOptions(options: UserPoolMfaOptions): Promise<void>;

  /** The user's failed sign-ins, or null when none are counted. */
  getSignInFailures(poolId: string, sub: string): Promise<UserPoolSignInFailures | null>;
  /**
   * Counts one failed sign-in at `now` and returns the count; a count whose last failure was before
   * `forgetBefore` starts again at one. One statement.
   */
  countSignInFailure(poolId: string, sub: string, now: number, forgetBefore: number): Promise<UserPoolSignInFailures>;
  /** Forgets the user's failed sign-ins. */
  clearSignInFailures(poolId: string, sub: string): Promise<void>;

  /** Remembers a replaced password's hash, keeping only the user's newest `keep` (0 keeps none). */
  addPasswordHistory(poolId: string, sub: string, passwordHash: string, replacedAt: number, keep: number): Promise<void>;
  /** The hashes of the user's newest `limit` replaced passwords, newest first. */
  listPasswordHistory(poolId: string, sub: string, limit: number): Promise<string[]>;
}
