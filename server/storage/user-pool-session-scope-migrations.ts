/**
 * Migration 16, the scopes a user-pool sign-in session was granted. A session the hosted UI's
 * authorization code started carries the scopes the client asked for; its refresh tokens must
 * issue access tokens with the same `scope` claim, as Cognito's do. NULL (every session signed in
 * through the API, and those from before this step) is the API's own scope,
 * `aws.cognito.signin.user.admin`.
 */
import type { Migration } from "./migration.js";

/** Migration 16. It ships once merged: never edit it, add a later version instead. */
export const USER_POOL_SESSION_SCOPE_MIGRATION: Migration = {
  version: 16,
  name: "user pool session scopes",
  sqlite: `
    ALTER TABLE user_pool_sessions ADD COLUMN scope TEXT;
  `,
  postgres: `
    ALTER TABLE user_pool_sessions ADD COLUMN scope text;
  `,
};
