/**
 * Each user pool's token signing key: an RS256 key pair (Cognito signs with RS256, and clients
 * such as aws-jwt-verify accept nothing else), one per pool so pools never verify each other's
 * tokens. Kept in the server-key table (`storage.keys`, kind `user-pool-signing:<poolId>`), sealed
 * under the master key exactly as the key ring seals its own kinds, so every instance on the
 * database signs with the same key and the first to need it creates it (`userPoolKey`: on first
 * use, not at start).
 *
 * Tokens are signed here with node:crypto on a KeyObject made once per key: a compact JWS is two
 * base64url parts and a signature, and OpenSSL's RSA on libuv's thread pool costs about half of
 * what WebCrypto's did per token, off the event loop. jose still makes, imports and verifies keys.
 */
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, type JWTPayload } from "jose";
import type { SecretBox } from "../secret-box.js";
import type { KeyStore } from "../storage/key-store.js";

/** The algorithm of user-pool tokens. */
export const USER_POOL_TOKEN_ALGORITHM = "RS256";

/** One pool's key. */
export interface UserPoolSigningKey {
  kid: string;
  /** Signs with `signUserPoolJwt`. */
  privateKey: KeyObject;
  /** The encoded protected header of every token: `{"alg":"RS256","kid":...}`. */
  encodedHeader: string;
  publicKey: CryptoKey;
  /** As served in the pool's JWKS. */
  publicJwk: JWK;
}

const kindOf = (poolId: string) => `user-pool-signing:${poolId}`;
/** The key ring's sealing context (`server/keys/key-ring.ts`): it opens every row of the table. */
const sealContext = (kind: string, keyId: string) => `server-key:${kind}:${keyId}`;

/** A pool's signing key, loaded the first time something signs or verifies with it (`userPoolKey`). */
export interface UserPoolKey {
  /**
   * The key: read from the database, or made and stored there first when it holds none. Later calls
   * answer from memory; a failed load (the database down) is tried again by the next call.
   */
  get(): Promise<UserPoolSigningKey>;
}

/**
 * The signing key of `poolId`, loaded on first use rather than at start. Making a 2048-bit RSA key
 * costs 50-300 ms of CPU on libuv's thread pool, which every start on a new database paid for each
 * pool: a server whose pools have issued no token yet now pays it with the first token (or key-set
 * read), and one that never serves a user-pool client never does.
 */
export function userPoolKey(store: KeyStore, box: SecretBox, poolId: string, now: () => number): UserPoolKey {
  let loading: Promise<UserPoolSigningKey> | undefined;
  return {
    get: () =>
      (loading ??= loadKey(store, box, poolId, now).catch((error: unknown) => {
        loading = undefined;
        throw error;
      })),
  };
}

/** The newest stored key of `poolId`, made and stored first when there is none. */
async function loadKey(store: KeyStore, box: SecretBox, poolId: string, now: () => number): Promise<UserPoolSigningKey> {
  const kind = kindOf(poolId);
  let rows = await store.listServerKeys();
  if (!rows.some((row) => row.kind === kind)) {
    const { privateKey } = await generateKeyPair(USER_POOL_TOKEN_ALGORITHM, { modulusLength: 2048, extractable: true });
    const material = JSON.stringify(await exportJWK(privateKey));
    const keyId = await thumbprint(material);
    // Instances making the key together: the store keeps the first key of each kind and skips the rest.
    await store.addMissingServerKeys([{ kind, keyId, sealed: box.seal(material, sealContext(kind, keyId)), createdAt: now() }]);
    rows = await store.listServerKeys();
  }
  const newest = rows.filter((row) => row.kind === kind).at(-1);
  if (newest === undefined) throw new Error(`no signing key for user pool ${poolId} in the database`);
  return importKey(box.open(newest.sealed, sealContext(newest.kind, newest.keyId)));
}

/** The pool's JWKS document. */
export const jwksOf = (key: UserPoolSigningKey): JSONWebKeySet => ({ keys: [key.publicJwk] });

async function thumbprint(material: string): Promise<string> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = JSON.parse(material) as JWK;
  return calculateJwkThumbprint(publicPart);
}

async function importKey(material: string): Promise<UserPoolSigningKey> {
  const privateJwk = JSON.parse(material) as JWK;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = privateJwk;
  const kid = await calculateJwkThumbprint(publicPart);
  return {
    kid,
    privateKey: createPrivateKey({ key: privateJwk, format: "jwk" }),
    encodedHeader: Buffer.from(JSON.stringify({ alg: USER_POOL_TOKEN_ALGORITHM, kid })).toString("base64url"),
    publicKey: (await importJWK(publicPart, USER_POOL_TOKEN_ALGORITHM)) as CryptoKey,
    publicJwk: { kty: publicPart.kty, n: publicPart.n, e: publicPart.e, kid, alg: USER_POOL_TOKEN_ALGORITHM, use: "sig" } as JWK,
  };
}

/**
 * `claims` as a compact RS256 JWS under the pool's key (what jose's SignJWT makes), signed on
 * libuv's thread pool; the pool's first token loads (or makes) the key.
 */
export async function signUserPoolJwt(poolKey: UserPoolKey, claims: JWTPayload): Promise<string> {
  const key = await poolKey.get();
  const signingInput = `${key.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return new Promise((resolve, reject) => {
    sign("sha256", Buffer.from(signingInput), key.privateKey, (error, signature) => {
      if (error) reject(error);
      else resolve(`${signingInput}.${signature.toString("base64url")}`);
    });
  });
}
