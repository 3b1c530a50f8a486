/**
 * The lines of a user export or import file (JSON Lines, docs/user-pools.md "Moving users"),
 * checked with zod where the file is read: a header first, then `group` and `user` lines. A user's
 * `password` is either this server's own (`syncpool`: the stored hash, and the sealed SRP salt and
 * verifier when the export had a passphrase) or a foreign hash (`foreign-hashes.ts`); without one
 * the user must reset its password. Bounds keep a hostile file from costing unbounded work.
 */
import { z } from "zod";

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: "expected base64" }).min(1).max(4096);
const powerOfTwo = z.number().int().min(2).max(2 ** 20).refine((n) => (n & (n - 1)) === 0, { error: "expected a power of two" });

/** The header line. */
export const headerLineSchema = z.object({
  syncpoolUsers: z.literal(1),
  pool: z.string().min(1).max(64),
  /** The SRP pool name the verifiers were made for (the part of the pool id after `_`). */
  srpPoolName: z.string().min(1).max(64),
  exportedAt: z.string().optional(),
  sealing: z.object({ kdf: z.literal("scrypt"), salt: z.string().min(1).max(64), n: powerOfTwo, r: z.number().int().min(1).max(16), p: z.number().int().min(1).max(16), check: z.string().min(1).max(256) }).nullable().default(null),
});

const passwordSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("syncpool"), hash: z.string().min(1).max(1024), srp: z.object({ salt: z.string().regex(/^[0-9a-f]{1,128}$/), verifier: z.string().min(1).max(4096) }).optional() }),
  z.object({ kind: z.literal("bcrypt"), hash: z.string().regex(/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/, { error: "expected a bcrypt hash ($2b$10$...)" }) }),
  z.object({ kind: z.literal("argon2"), hash: z.string().regex(/^\$argon2(id|i|d)\$/, { error: "expected an argon2 PHC string" }).max(1024) }),
  z.object({ kind: z.literal("pbkdf2"), digest: z.enum(["sha1", "sha256", "sha512"]), iterations: z.number().int().min(1).max(10_000_000), salt: base64, hash: base64 }),
  z.object({ kind: z.literal("scrypt"), n: powerOfTwo, r: z.number().int().min(1).max(32), p: z.number().int().min(1).max(16), salt: base64, hash: base64 }),
  z.object({
    kind: z.literal("firebase-scrypt"),
    rounds: z.number().int().min(1).max(32),
    memCost: z.number().int().min(1).max(20),
    salt: base64,
    saltSeparator: base64,
    signerKey: base64,
    hash: base64,
  }),
]);

/** A user's imported password. */
export type PasswordLine = z.output<typeof passwordSchema>;

/** A `group` line. */
export const groupLineSchema = z.object({
  group: z.object({
    name: z.string().min(1).max(128),
    description: z.string().max(2048).nullable().default(null),
    roleArn: z.string().max(2048).nullable().default(null),
    precedence: z.number().int().min(0).nullable().default(null),
  }),
});

/** A `user` line. */
export const userLineSchema = z.object({
  user: z.object({
    username: z.string().min(1).max(128),
    sub: z.uuid().optional(),
    status: z.enum(["UNCONFIRMED", "CONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED"]).default("CONFIRMED"),
    enabled: z.boolean().default(true),
    createdAt: z.number().int().min(0).optional(),
    updatedAt: z.number().int().min(0).optional(),
    attributes: z.record(z.string().max(64), z.string().max(2048)).default({}),
    groups: z.array(z.string().min(1).max(128)).max(100).default([]),
    password: passwordSchema.optional(),
    mfa: z
      .object({ totpSecret: z.string().min(1).max(1024).optional(), deviceName: z.string().max(256).nullable().default(null), enabled: z.boolean(), preferred: z.boolean() })
      .nullable()
      .default(null),
  }),
});

/** A user as read from its line. */
export type UserLine = z.output<typeof userLineSchema>["user"];
