/**
 * Sync session tokens tie a push to the pull it follows, as Cognito Sync's do. They are optional
 * in `pushRecords`; when one is sent it must have been issued by this server for the same identity
 * and dataset. They carry no authority (the bearer token does), so they do not expire: a device
 * that was offline for a week may still send the one it got before going offline.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";

interface SessionClaims {
  identityId: string;
  dataset: string;
  syncCount: number;
  issuedAt: number;
}

const VERSION = "s1";

/** Issues a token for a pull of `dataset` that saw `syncCount`. */
export function issueSessionToken(secret: Uint8Array, claims: SessionClaims): string {
  const payload = Buffer.from(
    JSON.stringify([claims.identityId, claims.dataset, claims.syncCount, claims.issuedAt]),
  ).toString("base64url");
  return `${VERSION}.${payload}.${sign(secret, payload)}`;
}

/**
 * Throws BAD_USER_INPUT unless `token` was issued by this server for this identity and dataset,
 * under one of `secrets` (the current session secret and the one before a rotation).
 */
export function checkSessionToken(
  secrets: readonly Uint8Array[],
  token: string,
  identityId: string,
  dataset: string,
): void {
  const [version, payload, signature] = token.split(".");
  const signedBy = (secret: Uint8Array) => {
    const expected = payload === undefined ? "" : sign(secret, payload);
    return signature !== undefined && signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  };
  const valid = version === VERSION && secrets.some(signedBy);
  if (!valid || payload === undefined) {
    throw new SyncpoolError("BAD_USER_INPUT", "syncSessionToken is not a token issued by this server", {
      field: "syncSessionToken",
    });
  }
  const [tokenIdentity, tokenDataset] = JSON.parse(Buffer.from(payload, "base64url").toString()) as [string, string];
  if (tokenIdentity !== identityId || tokenDataset !== dataset) {
    throw new SyncpoolError("BAD_USER_INPUT", "syncSessionToken was issued for another dataset", {
      field: "syncSessionToken",
    });
  }
}

function sign(secret: Uint8Array, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("base64url");
}
