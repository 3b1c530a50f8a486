/**
 * Migration 15, an index of each dataset's records by their server change time
 * (`last_modified_at`), carrying the sync count. It answers "the lowest sync count of the records
 * changed since a time" (`syncCountBeforeChangesSince` in `sql-datasets.ts`) from the index alone,
 * reading only the changed records' entries: the model API's delta sync (`lastSync` is a time) turns
 * into a pull since a sync count, the order every page is read in, without a separate change log to
 * keep in step with the records. Building it reads the records table once, at upgrade.
 */
import type { Migration } from "./migration.js";

/** Migration 15. It ships once merged: never edit it, add a later version instead. */
export const RECORD_CHANGE_TIME_MIGRATION: Migration = {
  version: 15,
  name: "records by change time",
  sqlite: `
    CREATE INDEX records_by_change_time ON records (identity_id, dataset, last_modified_at, sync_count);
  `,
  postgres: `
    CREATE INDEX records_by_change_time ON records (identity_id, dataset, last_modified_at, sync_count);
  `,
};
