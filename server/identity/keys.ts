/**
 * The server's secrets, kept in `<dataDir>/keys/` (directory 0700, files 0600) and created on
 * first start: an ES256 key pair that signs identity tokens (its public half is served at
 * `/.well-known/jwks.json`), and 32 random bytes that sign sync session tokens. Keeping them on
 * disk means tokens stay valid across restarts; several servers sharing a database must share
 * this directory's contents too.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { readOrCreateSecretFile } from "../secret-file.js";

/** The algorithm of identity tokens; verification allows only this one. */
export const TOKEN_ALGORITHM = "ES256";

const SIGNING_KEY_FILE = "signing-key.jwk.json";
const SESSION_SECRET_FILE = "session-secret";

/** What the server signs with. `publicJwk` is safe to publish; the rest is not. */
export interface ServerKeys {
  /** Key id: the RFC 7638 thumbprint of the public key, stamped in every token header. */
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as served in the JWKS (`kid`, `alg`, `use` set). */
  publicJwk: JWK;
  /** HMAC key for sync session tokens (`SyncDeps.sessionSecret`). */
  sessionSecret: Uint8Array;
}

/**
 * Loads the keys from `<dataDir>/keys/`, creating whichever is missing. Safe when two processes
 * start at once on one directory: a file is published with `link`, which fails if another
 * process got there first, and then that one's file is used.
 */
export async function loadOrCreateKeys(dataDir: string): Promise<ServerKeys> {
  const dir = join(dataDir, "keys");
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const privateJwkText = await readOrCreateSecretFile(join(dir, SIGNING_KEY_FILE), async () => {
    const { privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
    return JSON.stringify(await exportJWK(privateKey));
  });
  const privateJwk = JSON.parse(privateJwkText) as JWK;
  const { d: _private, ...publicPart } = privateJwk;
  const kid = await calculateJwkThumbprint(publicPart);
  const privateKey = (await importJWK(privateJwk, TOKEN_ALGORITHM)) as CryptoKey;
  const publicKey = (await importJWK(publicPart, TOKEN_ALGORITHM)) as CryptoKey;

  const secretText = await readOrCreateSecretFile(join(dir, SESSION_SECRET_FILE), async () => randomBytes(32).toString("base64url"));
  const sessionSecret = new Uint8Array(Buffer.from(secretText.trim(), "base64url"));
  if (sessionSecret.length < 32) throw new Error(`${join(dir, SESSION_SECRET_FILE)} holds fewer than 32 bytes`);

  return {
    kid,
    privateKey,
    publicKey,
    publicJwk: { ...publicPart, kid, alg: TOKEN_ALGORITHM, use: "sig" },
    sessionSecret,
  };
}
