/**
 * The authorization part of a pool's settings: roles (policies over datasets), how a signed-in
 * identity gets its role (guest role, authenticated role, per-provider rules or token mapping),
 * principal tags taken from login claims, and rate limits. Parsed by `pool-settings.ts` as part of
 * the pool; the checks that span fields (a rule naming an unknown role) are in
 * `checkAccessSettings`, run from the pool's own refinement.
 */
import { z } from "zod";

/** Role names: short and log-safe. */
export const ROLE_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** What a policy can allow or deny; `configure` is `configureDataset`. */
export const POLICY_ACTIONS = ["read", "write", "delete", "configure"] as const;
/** One of `POLICY_ACTIONS`. */
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/**
 * A dataset pattern: dataset-name characters, `*` (any run of characters) and the variables
 * `${claim:NAME}` (a claim of the session token: `sub`, `aud`, `role`) and `${tag:NAME}` (a
 * principal tag).
 */
export const DATASET_PATTERN = /^(?:[A-Za-z0-9_.:*-]|\$\{(?:claim|tag):[A-Za-z0-9_.:/-]{1,128}\})+$/;

const roleName = z.string({ error: "expected a role name" }).regex(ROLE_NAME_PATTERN, {
  error: "expected 1-64 characters of A-Z a-z 0-9 _ . : -",
});

const claimName = z
  .string({ error: "expected a claim name" })
  .min(1, { error: "expected a non-empty claim name" })
  .max(128, { error: "expected at most 128 characters" });

const policySchema = z
  .object({
    effect: z.enum(["allow", "deny"], { error: "expected allow or deny" }),
    actions: z
      .array(z.enum(POLICY_ACTIONS, { error: `expected one of ${POLICY_ACTIONS.join(", ")}` }), { error: "expected an array" })
      .min(1, { error: "expected at least one action" }),
    datasets: z
      .array(
        z.string({ error: "expected a string" }).max(512, { error: "expected at most 512 characters" }).regex(DATASET_PATTERN, {
          error: "expected dataset-name characters, * and ${claim:NAME} / ${tag:NAME}",
        }),
        { error: "expected an array" },
      )
      .min(1, { error: "expected at least one dataset pattern" }),
  })
  .strict();

/** One statement of a role: allow or deny `actions` on datasets matching any of `datasets`. */
export type Policy = z.output<typeof policySchema>;

const roleSchema = z.object({ policies: z.array(policySchema, { error: "expected an array" }).default([]) }).strict();

/** A role: its policies. Deny wins over allow; nothing allowed means denied. */
export type Role = z.output<typeof roleSchema>;

const ambiguous = z.enum(["AUTHENTICATED_ROLE", "DENY"], { error: "expected AUTHENTICATED_ROLE or DENY" }).default("AUTHENTICATED_ROLE");

const ruleSchema = z
  .object({
    claim: claimName,
    matchType: z.enum(["Equals", "Contains", "StartsWith", "NotEqual"], { error: "expected Equals, Contains, StartsWith or NotEqual" }),
    value: z.string({ error: "expected a string" }).max(1024, { error: "expected at most 1024 characters" }),
    role: roleName,
  })
  .strict();

/** A rule: when `claim` matches `value` by `matchType`, the identity gets `role`. */
export type RoleRule = z.output<typeof ruleSchema>;

const rulesMappingSchema = z
  .object({
    type: z.literal("rules"),
    rules: z.array(ruleSchema, { error: "expected an array" }).min(1, { error: "expected at least one rule" }).max(25, {
      error: "expected at most 25 rules",
    }),
    ambiguousRoleResolution: ambiguous,
  })
  .strict();

const tokenMappingSchema = z
  .object({
    type: z.literal("token"),
    /** The claim listing the roles the login may take (a string or an array of strings). */
    claim: claimName.default("roles"),
    /** The claim naming the preferred one when several are listed. */
    preferredRoleClaim: claimName.default("preferred_role"),
    /** Roles the claim may choose; absent means every role of the pool. */
    allowedRoles: z.array(roleName, { error: "expected an array" }).optional(),
    ambiguousRoleResolution: ambiguous,
  })
  .strict();

/** How a provider's logins choose their role: Cognito's "rules" and "token" mappings. */
export const roleMappingSchema = z.discriminatedUnion("type", [rulesMappingSchema, tokenMappingSchema], {
  error: 'expected {"type": "rules", ...} or {"type": "token", ...}',
});

/** A provider's role mapping after defaults. */
export type RoleMapping = z.output<typeof roleMappingSchema>;

const bucketOf = (max: number) =>
  z
    .object({
      burst: z.number({ error: "expected a number" }).int({ error: "expected an integer" }).min(1).max(max),
      perSecond: z.number({ error: "expected a number" }).positive({ error: "expected a positive number" }).max(max),
    })
    .strict();
const bucketSchema = bucketOf(1_000_000);
/** A bucket of bytes: up to 1 TiB. */
const byteBucketSchema = bucketOf(1_099_511_627_776);

/** A token bucket: at most `burst` requests at once, refilled at `perSecond`. */
export type BucketSettings = z.output<typeof bucketSchema>;

/**
 * Defaults generous enough for any real device (a sync loop makes a few requests a second) and
 * for the test suite, which runs hundreds of requests per identity and per address in seconds.
 */
export const DEFAULT_RATE_LIMITS = Object.freeze({
  perIdentity: Object.freeze({ burst: 600, perSecond: 50 }),
  perAddress: Object.freeze({ burst: 3000, perSecond: 200 }),
  // Bytes (keys and values) one identity may push: four full 1 MB datasets at once, then 128 KiB/s
  // (about 10 GB a day). Each pushed byte is written again into the stream, so this bounds how
  // fast one free guest can grow the database.
  pushBytes: Object.freeze({ burst: 4 * 1_048_576, perSecond: 131_072 }),
});

/** New guest identities one client address may create in a pool per hour (GraphQL signIn and AWS GetId together). */
export const DEFAULT_MAX_GUEST_IDENTITIES_PER_ADDRESS_PER_HOUR = 100;

/**
 * Per-pool rate limits: one bucket per identity, one per client address (and pool), one of pushed
 * bytes per identity, and the hourly allowance of new guests per address (`guest-quota.ts`).
 */
export const rateLimitsSchema = z
  .object({
    perIdentity: bucketSchema.default({ ...DEFAULT_RATE_LIMITS.perIdentity }),
    perAddress: bucketSchema.default({ ...DEFAULT_RATE_LIMITS.perAddress }),
    maxGuestIdentitiesPerAddressPerHour: z
      .number({ error: "expected a number" })
      .int({ error: "expected an integer" })
      .min(1, { error: "expected at least 1 (to refuse guests, set allowGuests: false)" })
      .max(1_000_000)
      .default(DEFAULT_MAX_GUEST_IDENTITIES_PER_ADDRESS_PER_HOUR),
    pushBytes: byteBucketSchema.default({ ...DEFAULT_RATE_LIMITS.pushBytes }),
  })
  .strict();

/** A pool's rate limits after defaults. */
export type RateLimitSettings = z.output<typeof rateLimitsSchema>;

/** The access fields of a pool, spread into `poolSettingsSchema`. */
export const accessSettingsShape = {
  /** Roles by name; absent (or empty) means the default: everything allowed on one's own data. */
  roles: z.record(roleName, roleSchema, { error: "expected an object of roles" }).default({}),
  guestRole: roleName.optional(),
  authenticatedRole: roleName.optional(),
  /** Role mappings by provider name (an OIDC provider or the developer provider). */
  roleMappings: z.record(z.string(), roleMappingSchema, { error: "expected an object of role mappings" }).default({}),
  /** Principal tags by tag name: the login claim each is taken from. */
  principalTags: z
    .record(z.string().regex(/^[A-Za-z0-9_.:/-]{1,128}$/, { error: "expected a tag name" }), claimName, {
      error: "expected an object of tag -> claim",
    })
    // Tags ride in every session token: keep tokens small.
    .refine((tags) => Object.keys(tags).length <= 50, { error: "expected at most 50 tags" })
    .default({ sub: "sub", aud: "aud" }),
  rateLimits: rateLimitsSchema.prefault({}),
};

interface AccessFields {
  allowGuests: boolean;
  roles: Record<string, Role>;
  guestRole?: string | undefined;
  authenticatedRole?: string | undefined;
  roleMappings: Record<string, RoleMapping>;
  providers: ReadonlyArray<{ name: string }>;
  developerProvider?: { name: string } | undefined;
}

/**
 * The checks across fields: every role named anywhere exists; a pool with roles names its
 * authenticated role (and its guest role when it takes guests), so no caller is left without
 * one by accident; every role mapping belongs to a configured provider.
 */
export function checkAccessSettings(pool: AccessFields, ctx: z.RefinementCtx): void {
  const defined = new Set(Object.keys(pool.roles));
  const requireRole = (name: string | undefined, path: PropertyKey[]) => {
    if (name !== undefined && !defined.has(name)) ctx.addIssue({ code: "custom", message: `unknown role "${name}"`, path });
  };
  requireRole(pool.guestRole, ["guestRole"]);
  requireRole(pool.authenticatedRole, ["authenticatedRole"]);
  if (defined.size > 0 && pool.authenticatedRole === undefined) {
    ctx.addIssue({ code: "custom", message: "required when roles are defined", path: ["authenticatedRole"] });
  }
  if (defined.size > 0 && pool.allowGuests && pool.guestRole === undefined) {
    ctx.addIssue({ code: "custom", message: "required when roles are defined and guests are allowed", path: ["guestRole"] });
  }
  const providers = new Set(pool.providers.map((provider) => provider.name));
  if (pool.developerProvider && providers.has(pool.developerProvider.name)) {
    // Role mappings and logins name providers: one name must mean one provider.
    ctx.addIssue({ code: "custom", message: "must differ from every OIDC provider's name", path: ["developerProvider", "name"] });
  }
  if (pool.developerProvider) providers.add(pool.developerProvider.name);
  for (const [provider, mapping] of Object.entries(pool.roleMappings)) {
    if (!providers.has(provider)) ctx.addIssue({ code: "custom", message: `no provider named "${provider}"`, path: ["roleMappings", provider] });
    if (defined.size === 0) ctx.addIssue({ code: "custom", message: "role mappings need roles", path: ["roleMappings", provider] });
    if (mapping.type === "rules") {
      mapping.rules.forEach((rule, index) => requireRole(rule.role, ["roleMappings", provider, "rules", index, "role"]));
    } else {
      mapping.allowedRoles?.forEach((role, index) => requireRole(role, ["roleMappings", provider, "allowedRoles", index]));
    }
  }
}
