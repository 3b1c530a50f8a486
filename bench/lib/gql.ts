/**
 * GraphQL over HTTP for the benches: one POST, `data` back or a thrown error with the first
 * GraphQL error. Uses the global fetch (undici, keep-alive), as the raw HTTP baseline does, so
 * the client side of both costs the same.
 */

/** A GraphQL error answer, carrying the first error's `extensions.code`. */
export class GqlError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** POSTs one operation to `url`; resolves to `data`. */
export async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  const first = body.errors?.[0];
  if (first) throw new GqlError(`${first.message} (${first.extensions?.code ?? response.status})`, first.extensions?.code);
  return body.data as T;
}

/** A new guest identity of pool `default`. */
export interface Guest {
  identityId: string;
  token: string;
  deviceSecret: string;
}

/** Signs a new guest in. */
export async function signInGuest(url: string): Promise<Guest> {
  const data = await gql<{ signIn: Guest }>(url, `mutation { signIn(input: { identityPoolId: "default" }) { identityId token deviceSecret } }`);
  return data.signIn;
}

/** One patch as `pushRecords` takes it. */
export interface BenchPatch {
  op: "REPLACE" | "REMOVE";
  key: string;
  value?: string;
  kind?: "STRING" | "YDOC";
}

const PUSH = `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;

/** Pushes `patches` to `dataset`; resolves to the new sync count. */
export async function pushRecords(url: string, token: string, input: { dataset: string; deviceId: string; mutationId: string; patches: BenchPatch[] }): Promise<number> {
  const data = await gql<{ pushRecords: { datasetSyncCount: number } }>(url, PUSH, { input }, token);
  return data.pushRecords.datasetSyncCount;
}

/** Signs in `count` guests, `concurrency` at a time. */
export async function signInGuests(url: string, count: number, concurrency = 16): Promise<Guest[]> {
  const guests: Guest[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        guests[index] = await signInGuest(url);
      }
    }),
  );
  return guests;
}
