/**
 * The family the signed-in identity belongs to, and the calls that create or join one. The app's
 * backend (`server/family-service.ts`, served under `/family/` by the demo server) adds the identity
 * to the family's group; the app remembers the family and its invite code in the identity's own
 * `settings` dataset, so every device of the identity shows the family's list.
 *
 * The backend learns who asks from an identity token. The client keeps its token to itself, so the
 * app gets one of its own with a `signIn` of the guest it is (id and device secret stay here).
 */
import type { Dataset, SignInResult, SyncClient } from "../../../client/index.js";

/** A family the identity belongs to, and the code that invites others into it. */
export interface FamilyMembership {
  family: string;
  invite: string;
}

/** Where the app talks to its servers. */
export interface AppEndpoints {
  /** The sync server's GraphQL endpoint. */
  graphql: string;
  identityPoolId: string;
}

/** A refusal of the family backend, with its stable code (e.g. `BAD_USER_INPUT` for a bad invite). */
export class FamilyRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const FAMILY_KEY = "family";
const INVITE_KEY = "familyInvite";

/** The identity's own settings, where its family is remembered. */
function settingsOf(client: SyncClient): Dataset<string> {
  return client.dataset("settings");
}

/** The family `client`'s identity belongs to, as this device knows it; null for none. */
export async function storedFamily(client: SyncClient): Promise<FamilyMembership | null> {
  const settings = settingsOf(client);
  const [family, invite] = await Promise.all([settings.get(FAMILY_KEY), settings.get(INVITE_KEY)]);
  return family ? { family, invite: invite ?? "" } : null;
}

/** Calls `onChange` with the family's name (or null) now and whenever it changes; returns the stop. */
export function watchFamily(client: SyncClient, onChange: (family: string | null) => void): () => void {
  return settingsOf(client).watch(FAMILY_KEY, (family) => onChange(family ?? null));
}

/** Creates a family with the signed-in identity as its first member, or joins the one `invite` names. */
export async function enterFamily(client: SyncClient, account: SignInResult, endpoints: AppEndpoints, invite?: string): Promise<FamilyMembership> {
  const token = await identityToken(account, endpoints);
  const response = await fetch(new URL(invite === undefined ? "/family/create" : "/family/join", location.href), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(invite === undefined ? {} : { invite }),
  });
  const body = (await response.json().catch(() => null)) as (FamilyMembership & { error?: { code: string; message: string } }) | null;
  if (!response.ok || body === null || body.error) {
    const error = body?.error ?? { code: "UNAVAILABLE", message: `families need the demo server (npm run demo); ${response.status} ${response.statusText}` };
    throw new FamilyRequestError(error.code, error.message);
  }
  const settings = settingsOf(client);
  // The invite first: whoever watches the family finds its code stored already.
  await settings.put(INVITE_KEY, body.invite);
  await settings.put(FAMILY_KEY, body.family);
  return { family: body.family, invite: body.invite };
}

async function identityToken(account: SignInResult, endpoints: AppEndpoints): Promise<string> {
  if (account.deviceSecret === null) throw new FamilyRequestError("UNAUTHENTICATED", "families are for guests of this app: sign in as a guest");
  const response = await fetch(endpoints.graphql, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: "mutation ($input: SignInInput!) { signIn(input: $input) { token } }",
      variables: { input: { identityPoolId: endpoints.identityPoolId, identityId: account.identityId, deviceSecret: account.deviceSecret } },
    }),
  });
  const body = (await response.json()) as { data?: { signIn: { token: string } }; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  const token = body.data?.signIn.token;
  if (!token) throw new FamilyRequestError(body.errors?.[0]?.extensions?.code ?? "UNAUTHENTICATED", body.errors?.[0]?.message ?? "sign-in failed");
  return token;
}
