/**
 * The identity token signing key: an ES256 key pair whose public half is served at
 * `/.well-known/jwks.json`. Keys are kept in the database, sealed under the master key
 * (`server/keys/key-ring.ts`); this module only turns stored material into usable keys and makes
 * new ones. Material is the private JWK as JSON text.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

/** The algorithm of identity tokens; verification allows only this one. */
export const TOKEN_ALGORITHM = "ES256";

/** One signing key. `publicJwk` is safe to publish; the private key is not. */
export interface SigningKey {
  /** Key id: the RFC 7638 thumbprint of the public key, stamped in every token header. */
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as served in the JWKS (`kid`, `alg`, `use` set). */
  publicJwk: JWK;
}

/** The signing keys in use: `current` signs, every key in `all` (newest first, current included) verifies. */
export interface SigningKeySet {
  current: SigningKey;
  all: readonly SigningKey[];
}

/** A new private key, as the JSON text of its JWK (the stored material). */
export async function generateSigningKeyMaterial(): Promise<string> {
  const { privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  return JSON.stringify(await exportJWK(privateKey));
}

/** The key id of stored material, without importing it (to name a row before storing it). */
export async function signingKeyId(material: string): Promise<string> {
  const { d: _private, ...publicPart } = JSON.parse(material) as JWK;
  return calculateJwkThumbprint(publicPart);
}

/** Imports stored material (a private JWK as JSON text). */
export async function importSigningKey(material: string): Promise<SigningKey> {
  const privateJwk = JSON.parse(material) as JWK;
  const { d: _private, ...publicPart } = privateJwk;
  const kid = await calculateJwkThumbprint(publicPart);
  return {
    kid,
    privateKey: (await importJWK(privateJwk, TOKEN_ALGORITHM)) as CryptoKey,
    publicKey: (await importJWK(publicPart, TOKEN_ALGORITHM)) as CryptoKey,
    publicJwk: { ...publicPart, kid, alg: TOKEN_ALGORITHM, use: "sig" },
  };
}
