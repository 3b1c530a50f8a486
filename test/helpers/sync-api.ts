/**
 * Typed calls of the sync operations over HTTP (or in-process, see `Endpoint`), for integration tests. Each returns the
 * GraphQL `data` field or throws a `GraphQLFailure` carrying the first error's code, so tests read
 * as `await expect(api.push(...)).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" })`.
 */
import type { Patch, SyncRecord } from "../../core/types.js";
import type { FetchFn } from "./server.js";

/** Where requests go: a GraphQL URL (global `fetch`), or a test server (its `testFetch`, in-process or not). */
export type Endpoint = string | { graphqlUrl: string; testFetch: FetchFn };

/** The URL and `fetch` of `endpoint`. */
export function resolveEndpoint(endpoint: Endpoint): { graphqlUrl: string; send: FetchFn } {
  return typeof endpoint === "string" ? { graphqlUrl: endpoint, send: fetch } : { graphqlUrl: endpoint.graphqlUrl, send: endpoint.testFetch };
}

export class GraphQLFailure extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
    readonly extensions: Record<string, unknown>,
    readonly status: number,
  ) {
    super(message);
  }
}

const RECORD_FIELDS = "key value kind syncCount clock lastModifiedBy lastModifiedAt deviceLastModifiedAt deleted";

export interface PushAnswer {
  datasetSyncCount: number;
  records: SyncRecord[];
  conflicts: Array<{ key: string; serverRecord: SyncRecord | null; patchSyncCount: number | null }>;
  replayed: boolean;
}

export interface PageAnswer {
  records: SyncRecord[];
  datasetSyncCount: number;
  datasetExists: boolean;
  deletedAfterSince: boolean;
  mergedDatasetNames: string[];
  conflictStrategy: "CRDT" | "OPTIMISTIC";
  syncSessionToken: string;
  nextCursor: string | null;
}

export interface PushInput {
  dataset: string;
  deviceId?: string;
  mutationId?: string;
  syncSessionToken?: string;
  patches: Patch[];
}

let mutationSequence = 0;

/** Sync operations bound to one endpoint and one bearer token. */
export function syncApi(endpoint: Endpoint, token: string | undefined) {
  const { graphqlUrl, send } = resolveEndpoint(endpoint);
  async function call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await send(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as {
      data?: T;
      errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    };
    const error = body.errors?.[0];
    if (error) {
      const extensions = error.extensions ?? {};
      throw new GraphQLFailure(extensions.code as string | undefined, error.message, extensions, response.status);
    }
    return body.data as T;
  }

  return {
    call,
    async push(input: PushInput): Promise<PushAnswer> {
      const data = await call<{ pushRecords: PushAnswer }>(
        `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) {
          datasetSyncCount replayed records { ${RECORD_FIELDS} }
          conflicts { key patchSyncCount serverRecord { ${RECORD_FIELDS} } } } }`,
        {
          input: {
            deviceId: "device-a",
            mutationId: `m-${process.pid}-${++mutationSequence}`,
            ...input,
          },
        },
      );
      return data.pushRecords;
    },
    async page(dataset: string, sinceSyncCount = 0, first?: number, after?: string): Promise<PageAnswer> {
      const data = await call<{ records: PageAnswer }>(
        `query ($dataset: String!, $since: Int, $first: Int, $after: String) {
          records(dataset: $dataset, sinceSyncCount: $since, first: $first, after: $after) {
            datasetSyncCount datasetExists deletedAfterSince mergedDatasetNames conflictStrategy
            syncSessionToken nextCursor records { ${RECORD_FIELDS} } } }`,
        { dataset, since: sinceSyncCount, first, after },
      );
      return data.records;
    },
    /** Every page from `sinceSyncCount`, following cursors. */
    async pullAll(dataset: string, sinceSyncCount = 0, first?: number): Promise<PageAnswer & { pages: number }> {
      let page = await this.page(dataset, sinceSyncCount, first);
      const records = [...page.records];
      let pages = 1;
      while (page.nextCursor) {
        page = await this.page(dataset, sinceSyncCount, first, page.nextCursor);
        records.push(...page.records);
        pages += 1;
      }
      return { ...page, records, pages };
    },
    async configure(name: string, conflictStrategy: "CRDT" | "OPTIMISTIC") {
      const data = await call<{ configureDataset: { name: string; conflictStrategy: string; syncCount: number } }>(
        `mutation ($name: String!, $s: ConflictStrategy!) { configureDataset(name: $name, conflictStrategy: $s) { name conflictStrategy syncCount } }`,
        { name, s: conflictStrategy },
      );
      return data.configureDataset;
    },
    async remove(name: string) {
      const data = await call<{ deleteDataset: { name: string; deleted: boolean; syncCount: number } }>(
        `mutation ($name: String!) { deleteDataset(name: $name) { name deleted syncCount } }`,
        { name },
      );
      return data.deleteDataset;
    },
    async datasets() {
      const data = await call<{ datasets: Array<{ name: string; syncCount: number; recordCount: number; sizeBytes: number; conflictStrategy: string; lastModifiedBy: string | null }> }>(
        `{ datasets { name syncCount recordCount sizeBytes conflictStrategy lastModifiedBy } }`,
      );
      return data.datasets;
    },
    async dataset(name: string) {
      const data = await call<{ dataset: { name: string; syncCount: number; recordCount: number; sizeBytes: number } | null }>(
        `query ($name: String!) { dataset(name: $name) { name syncCount recordCount sizeBytes } }`,
        { name },
      );
      return data.dataset;
    },
    async usage() {
      const data = await call<{ usage: { identityId: string; datasetCount: number; sizeBytes: number; limits: Record<string, number> } }>(
        `{ usage { identityId datasetCount sizeBytes limits { maxDatasets maxRecords maxDatasetBytes maxClockSkewMs } } }`,
      );
      return data.usage;
    },
  };
}

export type SyncApi = ReturnType<typeof syncApi>;
