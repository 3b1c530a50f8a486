/**
 * Temporary AWS credentials for an identity (GetCredentialsForIdentity), verified without storing
 * anything: the session token carries who and what (identity, pool, role, tags, expiry, access key
 * id) under the server's HMAC, and the secret key is derived from the access key id with another
 * HMAC of the same server key. A request signed with them proves the caller holds the secret; the
 * token proves we issued it, for whom, and until when. Any server instance sharing the data
 * directory's keys verifies them, and restarting loses nothing.
 *
 * The key is derived from the server's session secret (`server/identity/keys.ts`), labelled so it
 * can never collide with the sync session tokens that secret also signs.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { TokenGrant } from "../identity/tokens.js";
import { AwsError } from "./aws-errors.js";

/** What a set of credentials acts as. */
export interface CredentialClaims extends TokenGrant {
  identityId: string;
  poolId: string;
  accessKeyId: string;
  /** Expiry, epoch seconds (as AWS's `Expiration`). */
  expiresAtSeconds: number;
}

/** Credentials as GetCredentialsForIdentity answers them (`Expiration` in epoch seconds). */
export interface AwsCredentials {
  AccessKeyId: string;
  SecretKey: string;
  SessionToken: string;
  Expiration: number;
}

/** Issues and checks temporary credentials. */
export interface CredentialIssuer {
  /** Credentials for the identity, lasting the configured TTL, or until `notAfterMs` (epoch ms) when sooner. */
  issue(identityId: string, poolId: string, grant: TokenGrant, notAfterMs?: number): AwsCredentials;
  /**
   * The claims of a session token and the secret key of its access key id.
   * @throws AwsError UnrecognizedClientException (not ours, or for another access key),
   *   ExpiredTokenException.
   */
  verify(sessionToken: string, accessKeyId: string): { claims: CredentialClaims; secretAccessKey: string };
}

const VERSION = "spst1";
const ACCESS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Builds the issuer over the server's session secret; `ttlSeconds` is how long credentials last. */
export function createCredentialIssuer(sessionSecret: Uint8Array, ttlSeconds: number, now: () => number): CredentialIssuer {
  const key = createHmac("sha256", sessionSecret).update("syncpool aws temporary credentials v1").digest();
  const secretOf = (accessKeyId: string) => createHmac("sha256", key).update(`secret:${accessKeyId}`).digest("base64").slice(0, 40);
  const sign = (payload: string) => createHmac("sha256", key).update(`token:${payload}`).digest("base64url");

  return {
    issue(identityId, poolId, grant, notAfterMs) {
      // "ASIA" marks temporary credentials in AWS; 16 more characters of base32, as AWS's ids.
      const accessKeyId = `ASIA${[...randomBytes(16)].map((byte) => ACCESS_KEY_ALPHABET[byte % 32]).join("")}`;
      const expiresAtSeconds = Math.min(Math.floor(now() / 1000) + ttlSeconds, notAfterMs === undefined ? Infinity : Math.floor(notAfterMs / 1000));
      const claims: CredentialClaims = { identityId, poolId, accessKeyId, expiresAtSeconds, ...grant };
      const payload = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url");
      return { AccessKeyId: accessKeyId, SecretKey: secretOf(accessKeyId), SessionToken: `${VERSION}.${payload}.${sign(payload)}`, Expiration: expiresAtSeconds };
    },

    verify(sessionToken, accessKeyId) {
      const [version, payload, signature] = sessionToken.split(".");
      const expected = payload === undefined ? "" : sign(payload);
      const valid = version === VERSION && signature !== undefined && signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
      if (!valid) throw new AwsError("UnrecognizedClientException", 403, "The security token included in the request is invalid.");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as CredentialClaims;
      if (claims.accessKeyId !== accessKeyId) throw new AwsError("UnrecognizedClientException", 403, "The security token included in the request is invalid.");
      if (claims.expiresAtSeconds * 1000 <= now()) throw new AwsError("ExpiredTokenException", 403, "The security token included in the request is expired");
      return { claims, secretAccessKey: secretOf(accessKeyId) };
    },
  };
}
