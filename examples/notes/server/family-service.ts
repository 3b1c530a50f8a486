/**
 * Families for the notes app, run by the app's backend (the demo server): creating a family and
 * joining one with an invite code. The backend holds the sync server's admin token and the invite
 * secret; the browser only ever sends its own identity token.
 *
 * - Who asks: the caller's identity token (from the sync server's `signIn`), verified against the
 *   sync server's public keys (`/.well-known/jwks.json`) and the pool.
 * - Create: the first free slot of `family-pool.ts` (a group without members) gets the caller as
 *   its first member, through the admin API (`addGroupMember`).
 * - Invite codes: `family-N-<tag>`, where the tag is an HMAC of the group under the invite secret,
 *   so a code cannot be made up for another family and nothing needs storing.
 * - Join: a valid code adds the caller to its group; joining twice is harmless.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { TOKEN_ISSUER } from "../../../server/identity/tokens.js";
import { FAMILY_SLOTS, familyGroup } from "./family-pool.js";

/** A family the caller belongs to, and the code that invites others into it. */
export interface FamilyMembership {
  family: string;
  invite: string;
}

/** A refusal, with a stable code and the HTTP status it is answered with. */
export class FamilyError extends Error {
  constructor(
    readonly code: "UNAUTHENTICATED" | "BAD_USER_INPUT" | "LIMIT_EXCEEDED" | "INTERNAL_SERVER_ERROR",
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface FamilyServiceOptions {
  /** The sync server's base URL, e.g. `http://127.0.0.1:4000`. */
  syncServerUrl: string;
  /** The sync server's admin token (SYNCPOOL_ADMIN_TOKEN). */
  adminToken: string;
  /** Signs invite codes; keep it with the server's data so codes outlive a restart. */
  inviteSecret: string;
  identityPoolId?: string;
  /** Family slots the pool declares (`familyPool`'s `slots`). */
  slots?: number;
}

/** The backend's family operations; both take the caller's bearer token. */
export interface FamilyService {
  create(token: string | null): Promise<FamilyMembership>;
  join(token: string | null, invite: unknown): Promise<FamilyMembership>;
}

const INVITE_PATTERN = /^(family-([1-9][0-9]{0,5}))-([A-Za-z0-9_-]{16})$/;

export function createFamilyService(options: FamilyServiceOptions): FamilyService {
  const { syncServerUrl, adminToken, inviteSecret, identityPoolId = "default", slots = FAMILY_SLOTS } = options;
  const keys = createRemoteJWKSet(new URL("/.well-known/jwks.json", syncServerUrl));
  // Two creates at once must not both take the same free slot.
  let creating: Promise<unknown> = Promise.resolve();

  const identityOf = async (token: string | null): Promise<string> => {
    if (token === null) throw new FamilyError("UNAUTHENTICATED", "send your identity token as 'Authorization: Bearer <token>'", 401);
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: TOKEN_ISSUER, audience: identityPoolId, requiredClaims: ["sub"] });
      return payload.sub!;
    } catch {
      throw new FamilyError("UNAUTHENTICATED", "invalid or expired identity token: sign in again", 401);
    }
  };

  const admin = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(new URL("/graphql", syncServerUrl), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
    if (body.errors?.length || body.data === undefined) {
      throw new FamilyError("INTERNAL_SERVER_ERROR", `the sync server refused: ${body.errors?.[0]?.message ?? response.status}`, 502);
    }
    return body.data;
  };

  const members = async (group: string) =>
    (await admin<{ groupMembers: string[] }>(`query ($pool: String!, $group: String!) { groupMembers(identityPoolId: $pool, group: $group) }`, { pool: identityPoolId, group })).groupMembers;

  const addMember = (group: string, identityId: string) =>
    admin(`mutation ($pool: String!, $group: String!, $id: String!) { addGroupMember(identityPoolId: $pool, group: $group, identityId: $id) }`, {
      pool: identityPoolId,
      group,
      id: identityId,
    });

  const tagOf = (family: string) => createHmac("sha256", inviteSecret).update(family).digest("base64url").slice(0, 16);
  const membership = (family: string): FamilyMembership => ({ family, invite: `${family}-${tagOf(family)}` });

  return {
    async create(token) {
      const identityId = await identityOf(token);
      const run = creating.then(async () => {
        for (let slot = 1; slot <= slots; slot++) {
          const family = familyGroup(slot);
          if ((await members(family)).length > 0) continue;
          await addMember(family, identityId);
          return membership(family);
        }
        throw new FamilyError("LIMIT_EXCEEDED", `all ${slots} families of this server are taken`, 409);
      });
      creating = run.catch(() => undefined);
      return run;
    },

    async join(token, invite) {
      const identityId = await identityOf(token);
      const match = typeof invite === "string" ? INVITE_PATTERN.exec(invite.trim()) : null;
      const family = match?.[1];
      const valid =
        match !== null && family !== undefined && Number(match[2]) <= slots && timingSafeEqual(Buffer.from(match[3]!), Buffer.from(tagOf(family)));
      if (!valid) throw new FamilyError("BAD_USER_INPUT", "this invite code is not valid: ask for a new one", 400, "invite");
      await addMember(family, identityId);
      return membership(family);
    },
  };
}
