/**
 * Password hashes made elsewhere, kept as imported until the user's next password sign-in
 * replaces them with argon2id (`initiate-auth.ts`): bcrypt (`$2a$`, `$2b$`, `$2y$`), argon2 of any
 * variant (verified by `passwords.ts`), PBKDF2 over SHA-1, SHA-256 or SHA-512, scrypt, and
 * Firebase's modified scrypt. What an import file says (`ImportedPassword`, checked by
 * `user-import-format.ts`) is stored as one self-describing string in the user's `passwordHash`:
 *
 *   $pbkdf2-sha256$i=<iterations>$<salt, base64>$<hash, base64>
 *   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt, base64>$<hash, base64>
 *   $firebase-scrypt$rounds=<rounds>,mem=<mem cost>$<salt>$<salt separator>$<signer key>$<hash>   (all base64)
 *
 * Firebase's scrypt (its documented algorithm): key = scrypt(password, salt ‖ salt separator,
 * N = 2^mem cost, r = rounds, p = 1, 32 bytes); the hash is the project's signer key encrypted with
 * AES-256-CTR under that key and a zero IV.
 */
import { createCipheriv, pbkdf2, scrypt, timingSafeEqual } from "node:crypto";

/** A foreign password hash as an import file gives it. */
export type ImportedPassword =
  | { kind: "bcrypt"; hash: string }
  | { kind: "argon2"; hash: string }
  | { kind: "pbkdf2"; digest: "sha1" | "sha256" | "sha512"; iterations: number; salt: string; hash: string }
  | { kind: "scrypt"; n: number; r: number; p: number; salt: string; hash: string }
  | { kind: "firebase-scrypt"; rounds: number; memCost: number; salt: string; saltSeparator: string; signerKey: string; hash: string };

/** The stored `passwordHash` of an imported hash. */
export function storedForeignHash(imported: ImportedPassword): string {
  switch (imported.kind) {
    case "bcrypt":
    case "argon2":
      return imported.hash;
    case "pbkdf2":
      return `$pbkdf2-${imported.digest}$i=${imported.iterations}$${imported.salt}$${imported.hash}`;
    case "scrypt":
      return `$scrypt$ln=${Math.log2(imported.n)},r=${imported.r},p=${imported.p}$${imported.salt}$${imported.hash}`;
    case "firebase-scrypt":
      return `$firebase-scrypt$rounds=${imported.rounds},mem=${imported.memCost}$${imported.salt}$${imported.saltSeparator}$${imported.signerKey}$${imported.hash}`;
  }
}

/** Whether `passwordHash` is one of this module's (not argon2, which `passwords.ts` verifies). */
export const isForeignHash = (passwordHash: string): boolean => /^\$(2[aby]|pbkdf2-sha(1|256|512)|scrypt|firebase-scrypt)\$/.test(passwordHash);

/** Whether `password` matches the foreign `passwordHash`; false for one that does not parse. */
export async function verifyForeignHash(passwordHash: string, password: string): Promise<boolean> {
  try {
    // The bcrypt addon is loaded by the first bcrypt hash checked: most servers never hold one.
    if (/^\$2[aby]\$/.test(passwordHash)) return await (await import("@node-rs/bcrypt")).verify(password, passwordHash);
    const parts = passwordHash.split("$");
    const scheme = parts[1] ?? "";
    const parameters = Object.fromEntries((parts[2] ?? "").split(",").map((pair) => pair.split("=")).map(([name, value]) => [name, Number(value)]));
    const bytes = (text: string | undefined) => Buffer.from(text ?? "", "base64");
    if (scheme.startsWith("pbkdf2-")) {
      const expected = bytes(parts[4]);
      const derived = await new Promise<Buffer>((done, fail) =>
        pbkdf2(password, bytes(parts[3]), parameters["i"]!, expected.length, scheme.slice("pbkdf2-".length), (error, key) => (error ? fail(error) : done(key))),
      );
      return sameBytes(derived, expected);
    }
    if (scheme === "scrypt") {
      const expected = bytes(parts[4]);
      const derived = await scryptOf(password, bytes(parts[3]), 2 ** parameters["ln"]!, parameters["r"]!, parameters["p"]!, expected.length);
      return sameBytes(derived, expected);
    }
    if (scheme === "firebase-scrypt") {
      const [salt, separator, signerKey, expected] = [bytes(parts[3]), bytes(parts[4]), bytes(parts[5]), bytes(parts[6])];
      const key = await scryptOf(password, Buffer.concat([salt, separator]), 2 ** parameters["mem"]!, parameters["rounds"]!, 1, 32);
      const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
      return sameBytes(Buffer.concat([cipher.update(signerKey), cipher.final()]), expected);
    }
    return false;
  } catch {
    return false;
  }
}

function scryptOf(password: string, salt: Buffer, N: number, r: number, p: number, length: number): Promise<Buffer> {
  // Node refuses parameters needing more than `maxmem` (32 MiB by default): allow what these need.
  const maxmem = 256 * N * r * p + 16 * 1024 * 1024;
  return new Promise((done, fail) => scrypt(password, salt, length, { N, r, p, maxmem }, (error, key) => (error ? fail(error) : done(key))));
}

const sameBytes = (left: Buffer, right: Buffer) => left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
