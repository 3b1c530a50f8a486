/**
 * Migration 10, the user pool's groups (Cognito's CreateGroup and AdminAddUserToGroup): a group has
 * a description, an optional role ARN and precedence, and members by `sub`. Both dialects side by
 * side; the queries are in `sql-user-pool-groups.ts`.
 *
 * Members cascade from their group (DeleteGroup) and from their user (DeleteUser). The index by
 * (pool, sub) serves the groups of a user, read at every token issue.
 */
import type { Migration } from "./migration.js";

/** Migration 10. It ships once merged: never edit it, add a later version instead. */
export const USER_POOL_GROUPS_MIGRATION: Migration = {
  version: 10,
  name: "user pool groups",
  sqlite: `
    CREATE TABLE user_pool_groups (
      pool_id TEXT NOT NULL,
      group_name TEXT NOT NULL,
      description TEXT,
      role_arn TEXT,
      precedence INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, group_name)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE user_pool_group_members (
      pool_id TEXT NOT NULL,
      group_name TEXT NOT NULL,
      sub TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, group_name, sub),
      FOREIGN KEY (pool_id, group_name) REFERENCES user_pool_groups (pool_id, group_name) ON DELETE CASCADE,
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;

    CREATE INDEX user_pool_group_members_by_sub ON user_pool_group_members (pool_id, sub);
  `,
  postgres: `
    CREATE TABLE user_pool_groups (
      pool_id text COLLATE "C" NOT NULL,
      group_name text COLLATE "C" NOT NULL,
      description text,
      role_arn text,
      precedence integer,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      PRIMARY KEY (pool_id, group_name)
    );

    CREATE TABLE user_pool_group_members (
      pool_id text COLLATE "C" NOT NULL,
      group_name text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      created_at bigint NOT NULL,
      PRIMARY KEY (pool_id, group_name, sub),
      FOREIGN KEY (pool_id, group_name) REFERENCES user_pool_groups (pool_id, group_name) ON DELETE CASCADE,
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );

    CREATE INDEX user_pool_group_members_by_sub ON user_pool_group_members (pool_id, sub);
  `,
};
