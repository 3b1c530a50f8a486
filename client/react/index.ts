/**
 * syncpool/react: React bindings for the client. Every hook reads the client of the nearest
 * `SyncpoolProvider`, follows sign-in and sign-out, and never shows a previous identity's data.
 * React (18 or 19) is an optional peer dependency: only this entry imports it. See docs/client.md.
 */
export { SyncpoolProvider, useSyncClient, type SyncpoolProviderProps } from "./syncpool-provider.js";
export { useRecord, useDataset } from "./use-record.js";
export { useQuery } from "./use-query.js";
export type { DatasetRef } from "./dataset-ref.js";
export type { Query, QueryRow } from "../../core/query/index.js";
export { useDoc } from "./use-doc.js";
export { useSyncState } from "./use-sync-state.js";
export { useIdentity } from "./use-identity.js";
export { useObservable } from "./use-observable.js";
