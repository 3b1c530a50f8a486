/**
 * The client half of Cognito's SRP (USER_SRP_AUTH), written out for answers no SRP library would
 * send: replays, answers sent to another instance, old timestamps; and for SRP sign-ins that are
 * not about a client library, since its powers are OpenSSL's: a sign-in (client and server) costs
 * about 20 ms of CPU with it, and about 240 ms with the libraries' JavaScript big numbers.
 */
import { createHash, hkdfSync, randomBytes } from "node:crypto";
import { SRP_G, SRP_K, SRP_N, claimSignature, modPow, padHex, passwordExponent, srpTimestamp } from "../../server/user-pool/srp.js";
import { callUserPool } from "./user-pool-clients.js";

/** What `srpChallenge` needs: how to reach the server, and whom to sign in to which pool and client. */
export interface SrpTarget {
  send: (url: string, init: RequestInit) => Promise<Response>;
  baseUrl: string;
  clientId: string;
  /** The pool id's part after `_` (Cognito's SRP pool name). */
  poolName: string;
}

/** A client's ephemeral secret `a` (128 random bytes, as Cognito's clients pick it) and its public `A`. */
function clientEphemeral(): { a: bigint; A: bigint } {
  const a = BigInt(`0x${randomBytes(128).toString("hex")}`) % SRP_N;
  return { a, A: modPow(SRP_G, a, SRP_N) };
}

/** An SRP_A as a client sends it (hex, unpadded), for a first step whose answer is never built. */
export const randomSrpA = (): string => clientEphemeral().A.toString(16);

/**
 * Starts USER_SRP_AUTH for `username` and answers with a function that builds the
 * PASSWORD_VERIFIER answer (RespondToAuthChallenge's body) signed at `at`.
 */
export async function srpChallenge(target: SrpTarget, username: string, password: string) {
  const { a, A } = clientEphemeral();
  const started = await callUserPool(target.send, target.baseUrl, "InitiateAuth", { ClientId: target.clientId, AuthFlow: "USER_SRP_AUTH", AuthParameters: { USERNAME: username, SRP_A: A.toString(16) } });
  const parameters = started.body["ChallengeParameters"] as Record<string, string>;
  const B = BigInt(`0x${parameters["SRP_B"]}`);
  const u = BigInt(`0x${createHash("sha256").update(Buffer.from(padHex(A) + padHex(B), "hex")).digest("hex")}`);
  const x = passwordExponent(target.poolName, parameters["USER_ID_FOR_SRP"]!, password, parameters["SALT"]!);
  const S = modPow(B - ((SRP_K * modPow(SRP_G, x, SRP_N)) % SRP_N) + SRP_N, a + u * x, SRP_N);
  const key = Buffer.from(hkdfSync("sha256", Buffer.from(padHex(S), "hex"), Buffer.from(padHex(u), "hex"), "Caldera Derived Key", 16));
  return (at: Date) => {
    const timestamp = srpTimestamp(at);
    return {
      ClientId: target.clientId,
      ChallengeName: "PASSWORD_VERIFIER",
      ChallengeResponses: {
        USERNAME: parameters["USER_ID_FOR_SRP"],
        PASSWORD_CLAIM_SECRET_BLOCK: parameters["SECRET_BLOCK"],
        TIMESTAMP: timestamp,
        PASSWORD_CLAIM_SIGNATURE: claimSignature(key, target.poolName, parameters["USER_ID_FOR_SRP"]!, Buffer.from(parameters["SECRET_BLOCK"]!, "base64"), timestamp),
      },
    };
  };
}
