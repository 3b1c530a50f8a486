/**
 * Baselines of the user-pool scenario: the cryptography a sign-in cannot avoid, with nothing of
 * ours around it, on one core (synchronous calls on this thread), as a rate and as CPU time per
 * operation: argon2id hashes and verifies
 * with the server's parameters (`ARGON2_PARAMETERS`), and the server's half of one SRP sign-in
 * with the server's own math (`srp.ts`): the ephemeral `B`, the session key from the client's
 * `A`, and the expected PASSWORD_CLAIM_SIGNATURE compared with the client's.
 */
import { createDiffieHellman, randomBytes, timingSafeEqual } from "node:crypto";
import { performance } from "node:perf_hooks";
import { hashSync, verifySync } from "@node-rs/argon2";
import { ARGON2_PARAMETERS } from "../../server/user-pool/passwords.js";
import { claimSignature, createVerifier, serverEphemeral, serverSessionKey, SRP_N, srpTimestamp } from "../../server/user-pool/srp.js";

/** One operation's rate per second of wall time on this thread, and its CPU time (user + system). */
export interface OperationCost {
  perSecond: number;
  cpuMs: number;
}

/** What one core does, in this run. */
export interface AuthMathBaseline {
  argon2Hash: OperationCost;
  argon2Verify: OperationCost;
  /** Server halves of SRP sign-ins: B, then the session key and the proof check. */
  srpServerSignIn: OperationCost;
}

/**
 * Runs `operation` for at least `windowMs` (and 5 times). The CPU time per operation does not
 * grow when other work shares the machine, as the wall-time rate does.
 */
function measure(windowMs: number, operation: () => void): OperationCost {
  operation();
  let count = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  while (count < 5 || performance.now() - started < windowMs) {
    operation();
    count += 1;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: count / ((performance.now() - started) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / count };
}

/** Measures the three rates; `quick` shortens each window. */
export function measureAuthMath(quick: boolean): AuthMathBaseline {
  const windowMs = quick ? 1000 : 3000;
  const password = "Bench-password-1";
  const options = { ...ARGON2_PARAMETERS };
  const stored = hashSync(password, options);
  const argon2Hash = measure(windowMs, () => void hashSync(password, options));
  const argon2Verify = measure(windowMs, () => {
    if (!verifySync(stored, password)) throw new Error("argon2 baseline: the password did not verify");
  });

  // The client's A (g^a, here natively) is client work, made once.
  const { verifier } = createVerifier("bench", "bench-user", password);
  const client = createDiffieHellman(Buffer.from(SRP_N.toString(16), "hex"), Buffer.from([2]));
  client.setPrivateKey(randomBytes(32));
  const A = BigInt(`0x${client.generateKeys("hex")}`);
  const secretBlock = randomBytes(300);
  const claimed = randomBytes(32);
  const srpServerSignIn = measure(windowMs, () => {
    const { b, B } = serverEphemeral(verifier);
    const key = serverSessionKey(A, B, b, verifier);
    if (key === null) throw new Error("SRP baseline: A was refused");
    const expected = Buffer.from(claimSignature(key, "bench", "bench-user", secretBlock, srpTimestamp(new Date())), "base64");
    // The comparison a real answer gets; the claim here is random, so it never matches.
    void timingSafeEqual(expected, claimed);
  });
  return { argon2Hash, argon2Verify, srpServerSignIn };
}
