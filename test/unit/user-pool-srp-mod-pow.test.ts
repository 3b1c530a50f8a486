/**
 * `modPow` modulo the SRP group's prime runs in OpenSSL; it must give what square-and-multiply on
 * bigints gives, for the values SRP sees (random powers, sums of exponents wider than the prime's
 * half, bases above N) and for the edge values OpenSSL refuses as a peer's public key (0, 1, N-1).
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { modPow, SRP_N } from "../../server/user-pool/srp.js";

function reference(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

const random = (bytes: number) => BigInt(`0x${randomBytes(bytes).toString("hex")}`);

describe("modPow modulo the SRP prime", () => {
  it("equals square-and-multiply for random bases and exponents of the sizes SRP uses", () => {
    for (const exponentBytes of [1, 32, 128, 190]) {
      const base = random(384) % SRP_N;
      const exponent = random(exponentBytes);
      expect(modPow(base, exponent, SRP_N)).toBe(reference(base, exponent, SRP_N));
    }
    const above = SRP_N + 12_345n;
    expect(modPow(above, 65_537n, SRP_N)).toBe(reference(above, 65_537n, SRP_N));
  });

  it("answers the bases OpenSSL refuses (0, 1, N-1) and a zero exponent without it", () => {
    expect(modPow(0n, 5n, SRP_N)).toBe(0n);
    expect(modPow(1n, random(128), SRP_N)).toBe(1n);
    expect(modPow(SRP_N - 1n, 4n, SRP_N)).toBe(1n);
    expect(modPow(SRP_N - 1n, 5n, SRP_N)).toBe(SRP_N - 1n);
    expect(modPow(2n, 0n, SRP_N)).toBe(1n);
  });

  it("still computes other moduli", () => {
    expect(modPow(3n, 200n, 1_000_003n)).toBe(reference(3n, 200n, 1_000_003n));
  });
});
