/**
 * The server half of Cognito's SRP-6a variant, as Amplify and amazon-cognito-identity-js compute
 * the client half: the 3072-bit group of RFC 3526 (`modp15`), g = 2, SHA-256, hex padded so that
 * the leading nibble is never 8-f, the verifier over `poolName + username + ":" + password`, and the
 * session key taken with HKDF ("Caldera Derived Key", 16 bytes). Pure math, no I/O.
 */
import { createDiffieHellman, createHash, createHmac, getDiffieHellman, hkdfSync, randomBytes } from "node:crypto";

/** The group's prime (RFC 3526 group 15, the `N` of Cognito's SRP). */
export const SRP_N = BigInt(`0x${getDiffieHellman("modp15").getPrime("hex")}`);
/** The generator. */
export const SRP_G = 2n;

/** Hex of `n`, even length, with a leading `00` when the first nibble would read as a sign bit. */
export function padHex(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  else if ("89abcdef".includes(hex[0]!)) hex = `00${hex}`;
  return hex;
}

const sha256Hex = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");
const hashHexBytes = (hex: string): bigint => BigInt(`0x${sha256Hex(Buffer.from(hex, "hex"))}`);

/** `k = H(N ‖ g)` over padded hex. */
export const SRP_K = hashHexBytes(padHex(SRP_N) + padHex(SRP_G));

/**
 * `base^exponent mod modulus`. Modulo the group's prime it runs in OpenSSL, as the shared secret of
 * a Diffie-Hellman object whose private key is `exponent` (constant-time, and about ten times
 * faster than bigints: a 1024-bit exponent takes 4 ms rather than 40); other moduli use bigints.
 */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  const reduced = ((base % modulus) + modulus) % modulus;
  if (modulus !== SRP_N || exponent <= 0n) return modPowByBigints(reduced, exponent, modulus);
  // OpenSSL refuses 0, 1 and N-1 as a peer's public value; their powers need no work.
  if (reduced <= 1n) return reduced;
  if (reduced === modulus - 1n) return exponent % 2n === 0n ? 1n : reduced;
  const dh = createDiffieHellman(PRIME_BYTES, GENERATOR_BYTES);
  dh.setPrivateKey(bytesOf(exponent));
  return BigInt(`0x${dh.computeSecret(bytesOf(reduced)).toString("hex")}`);
}

const bytesOf = (n: bigint): Buffer => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, "hex");
};
const PRIME_BYTES = bytesOf(SRP_N);
const GENERATOR_BYTES = bytesOf(SRP_G);

function modPowByBigints(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** The private exponent `x` of a password, as the client derives it. */
export function passwordExponent(poolName: string, username: string, password: string, saltHex: string): bigint {
  const inner = sha256Hex(`${poolName}${username}:${password}`);
  return hashHexBytes(padHex(BigInt(`0x${saltHex}`)) + inner);
}

/** A new salt (hex) and verifier `g^x mod N` for a password. */
export function createVerifier(poolName: string, username: string, password: string): { saltHex: string; verifier: bigint } {
  const saltHex = randomBytes(16).toString("hex");
  return { saltHex, verifier: modPow(SRP_G, passwordExponent(poolName, username, password, saltHex), SRP_N) };
}

/**
 * Bytes of the server's ephemeral secret `b`: 256 bits, twice the 128-bit strength of the 3072-bit
 * group (NIST SP 800-56A's private-key size for this safe-prime group; RFC 5054 asks for at least
 * 256 bits). A longer `b` adds no strength, only time: two of a sign-in's three powers are to the
 * `b`, and each takes four times as long at 1024 bits.
 */
const EPHEMERAL_SECRET_BYTES = 32;

/** The server's ephemeral pair: secret `b` and public `B = k·v + g^b mod N` (never 0). */
export function serverEphemeral(verifier: bigint): { b: bigint; B: bigint } {
  for (;;) {
    const b = BigInt(`0x${randomBytes(EPHEMERAL_SECRET_BYTES).toString("hex")}`);
    const B = (SRP_K * verifier + modPow(SRP_G, b, SRP_N)) % SRP_N;
    if (B !== 0n && b !== 0n) return { b, B };
  }
}

/**
 * The 16-byte session key from the client's `A`, or null when `A` is unacceptable (`A mod N = 0`
 * or `u = 0`), as SRP-6a requires the server to refuse.
 */
export function serverSessionKey(A: bigint, B: bigint, b: bigint, verifier: bigint): Buffer | null {
  if (A % SRP_N === 0n) return null;
  const u = hashHexBytes(padHex(A) + padHex(B));
  if (u === 0n) return null;
  const S = modPow(A * modPow(verifier, u, SRP_N), b, SRP_N);
  return Buffer.from(hkdfSync("sha256", Buffer.from(padHex(S), "hex"), Buffer.from(padHex(u), "hex"), "Caldera Derived Key", 16));
}

/**
 * The PASSWORD_CLAIM_SIGNATURE the client must send:
 * `Base64(HMAC-SHA256(key, poolName ‖ userIdForSrp ‖ secretBlock bytes ‖ timestamp))`.
 */
export function claimSignature(key: Buffer, poolName: string, userIdForSrp: string, secretBlock: Buffer, timestamp: string): string {
  return createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(poolName, "utf8"), Buffer.from(userIdForSrp, "utf8"), secretBlock, Buffer.from(timestamp, "utf8")]))
    .digest("base64");
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const TIMESTAMP_PATTERN = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) UTC (\d{4})$/;

/** A TIMESTAMP as clients write it: `ddd MMM D HH:mm:ss UTC YYYY`, day not zero-padded. */
export function srpTimestamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`;
}

/** The epoch ms a TIMESTAMP names, or null when it is not in the clients' format. */
export function parseSrpTimestamp(text: string): number | null {
  const match = TIMESTAMP_PATTERN.exec(text);
  if (!match) return null;
  const [, , month, day, hours, minutes, seconds, year] = match;
  return Date.UTC(Number(year), MONTHS.indexOf(month!), Number(day), Number(hours), Number(minutes), Number(seconds));
}
