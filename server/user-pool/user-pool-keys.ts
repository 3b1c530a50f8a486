/**
 * Each user pool's token signing key: an RS256 key pair (Cognito signs with RS256, and clients
 * such as aws-jwt-verify accept nothing else), one per pool so pools never verify each other's
 * tokens. Kept in the server-key table (`storage.keys`, kind `user-pool-signing:<poolId>`), sealed
 * under the master key exactly as the key ring seals its own kinds, so every instance on the
 * database signs with the same key and the first to start creates it.
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

/**
 * The signing keys of `poolIds`, created where missing. Returns them by pool id.
 */
export async function loadUserPoolKeys(store: KeyStore, box: SecretBox, poolIds: readonly string[], now: number): Promise<Map<string, UserPoolSigningKey>> {
  const stored = await store.listServerKeys();
  const missing = poolIds.filter((poolId) => !stored.some((row) => row.kind === kindOf(poolId)));
  if (missing.length > 0) {
    const created = await Promise.all(
      missing.map(async (poolId) => {
        const { privateKey } = await generateKeyPair(USER_POOL_TOKEN_ALGORITHM, { modulusLength: 2048, extractable: true });
        const material = JSON.stringify(await exportJWK(privateKey));
        const keyId = await thumbprint(material);
        return { kind: kindOf(poolId), keyId, sealed: box.seal(material, sealContext(kindOf(poolId), keyId)), createdAt: now };
      }),
    );
    // Instances starting together: the store keeps the first key of each kind and skips the rest.
    await store.addMissingServerKeys(created);
  }
  const rows = await store.listServerKeys();
  const keys = new Map<string, UserPoolSigningKey>();
  for (const poolId of poolIds) {
    const newest = rows.filter((row) => row.kind === kindOf(poolId)).at(-1);
    if (newest === undefined) throw new Error(`no signing key for user pool ${poolId} in the database`);
    keys.set(poolId, await importKey(box.open(newest.sealed, sealContext(newest.kind, newest.keyId))));
  }
  return keys;
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
 * libuv's thread pool.
 */
export function signUserPoolJwt(key: UserPoolSigningKey, claims: JWTPayload): Promise<string> {
  const signingInput = `${key.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return new Promise((resolve, reject) => {
    sign("sha256", Buffer.from(signingInput), key.privateKey, (error, signature) => {
      if (error) reject(error);
      else resolve(`${signingInput}.${signature.toString("base64url")}`);
    });
  });
}
