/**
 * What a built-in user pool is, as the config file's `userPools` writes it, and the server-wide
 * user-pool settings the environment may set. `server/config.ts` stays the only reader of the
 * environment and the file: it spreads `userPoolEnvShape` into its schema, parses `userPools` with
 * `userPoolsFileSchema`, and calls `toUserPoolsConfig`. Only zod here.
 *
 * Without a config file naming user pools, the server serves `local_default` with the public app
 * client `default`, linked to identity pool `default` (docs/user-pools.md).
 */
import { z } from "zod";
import { triggersSchema } from "./triggers/trigger-config.js";
import { migrateFromSchema, migrationCredentialsFrom, migrationEnvShape, type MigrationCredentials } from "./migration/migrate-from-config.js";
import { oauthClientShape, oauthPoolShape, USER_SCOPES } from "./oauth/oauth-settings.js";

/** The MFA factors a pool can offer, by Cognito's challenge names. */
export const MFA_TYPES = ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_MFA"] as const;
/** One of `MFA_TYPES`. */
export type MfaType = (typeof MFA_TYPES)[number];

/** Cognito's password policy fields (MinimumLength 6-99). */
const passwordPolicySchema = z
  .object({
    minimumLength: z.number().int().min(6).max(99).default(8),
    requireUppercase: z.boolean().default(true),
    requireLowercase: z.boolean().default(true),
    requireNumbers: z.boolean().default(true),
    requireSymbols: z.boolean().default(true),
    /** Cognito's PasswordHistorySize: a new password may not be the current one or one of the n-1 before it (0: no history). */
    passwordHistorySize: z.number().int().min(0).max(24).default(0),
    /** Refuse passwords found in a sorted SHA-1 list the operator ships (`breached-passwords.ts`); absent: no check. */
    breachedPasswords: z
      .object({
        /** The list: a path, relative to the server's working directory unless absolute. */
        file: z.string().min(1),
        /** How often a password must appear in the list to be refused (HIBP's counts). */
        minCount: z.number().int().min(1).default(1),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Password rules of a pool, after defaults (Cognito's defaults). */
export type PasswordPolicy = z.output<typeof passwordPolicySchema>;

const clientSchema = z
  .object({
    id: z.string().regex(/^[\w+]{1,128}$/, { error: "expected 1-128 characters of A-Z a-z 0-9 _ +" }),
    /** A confidential client's secret: requests then carry SECRET_HASH. */
    secret: z.string().min(32, { error: "expected a secret of at least 32 characters" }).optional(),
    accessTokenValiditySeconds: z.number().int().min(300).max(86_400).default(3600),
    idTokenValiditySeconds: z.number().int().min(300).max(86_400).default(3600),
    refreshTokenValiditySeconds: z.number().int().min(3600).max(315_360_000).default(2_592_000),
    /** Cognito's RefreshTokenRotation: on, each refresh returns a new refresh token and the old one stops working. */
    refreshTokenRotation: z.boolean().default(true),
    /** RetryGracePeriodSeconds: how long a replaced refresh token still works (0-60). */
    retryGracePeriodSeconds: z.number().int().min(0).max(60).default(0),
    ...oauthClientShape,
  })
  .strict()
  .refine((client) => client.secret !== undefined || !client.allowedOAuthFlows.includes("client_credentials"), {
    error: "client_credentials needs a client with a secret",
    path: ["allowedOAuthFlows"],
  });

/** An app client of a user pool, after defaults. */
export type UserPoolClientSettings = z.output<typeof clientSchema>;

/** A custom attribute's name without the `custom:` prefix (Cognito: 1-20 characters). */
const attributeName = z.string().regex(/^[\w.:-]{1,20}$/, { error: "expected 1-20 characters of A-Z a-z 0-9 _ . : -, without the custom: prefix" });

/** One declared custom attribute (Cognito's SchemaAttributeType for `custom:` names, plus renames and retirement). */
const customAttributeSchema = z
  .object({
    name: attributeName,
    type: z.enum(["String", "Number", "DateTime", "Boolean"]).default("String"),
    /** Writable after sign-up (Cognito's Mutable); false: set only when the user is created. */
    mutable: z.boolean().default(true),
    /** String length bounds (Cognito's StringAttributeConstraints). */
    minLength: z.number().int().min(0).max(2048).default(0),
    maxLength: z.number().int().min(1).max(2048).default(2048),
    /** Number bounds (Cognito's NumberAttributeConstraints). */
    minValue: z.number().optional(),
    maxValue: z.number().optional(),
    /** Earlier names of this attribute: users' values under them are moved to `name` at start. */
    previousNames: z.array(attributeName).default([]),
    /** Retired: no longer written, answered or put in tokens; the stored values are kept. */
    retired: z.boolean().default(false),
  })
  .strict();

/** A declared custom attribute, after defaults. */
export type CustomAttribute = z.output<typeof customAttributeSchema>;

/** The `customAttributes` list of a pool: at most 50 (Cognito's limit), each name used once across names and previous names. */
const customAttributesSchema = z
  .array(customAttributeSchema)
  .max(50)
  .superRefine((attributes, ctx) => {
    const seen = new Set<string>();
    attributes.forEach((attribute, index) => {
      for (const name of [attribute.name, ...attribute.previousNames]) {
        if (seen.has(name)) ctx.addIssue({ code: "custom", message: `custom attribute name "${name}" is used twice`, path: [index, "name"] });
        seen.add(name);
      }
    });
  })
  .optional();

/** A token bucket: at most `burst` requests at once, refilled at `perSecond`. */
const addressBucketSchema = z
  .object({
    burst: z.number().int().min(1).max(1_000_000),
    perSecond: z.number().positive().max(1_000_000),
  })
  .strict();

/**
 * Requests one client address may make to a pool, per kind (`address-limits.ts`). The defaults
 * leave room for many users behind one NAT (a sign-in is two requests with SRP or MFA), and no test
 * or normal app reaches them; they stop scripted spraying, bulk sign-ups and mail floods.
 */
export const DEFAULT_USER_POOL_RATE_LIMITS = Object.freeze({
  /** InitiateAuth and RespondToAuthChallenge. */
  signIn: Object.freeze({ burst: 300, perSecond: 10 }),
  /** SignUp and ResendConfirmationCode. */
  signUp: Object.freeze({ burst: 100, perSecond: 1 }),
  /** ForgotPassword. */
  forgotPassword: Object.freeze({ burst: 50, perSecond: 0.5 }),
  /** ConfirmSignUp and ConfirmForgotPassword. */
  codeConfirmation: Object.freeze({ burst: 100, perSecond: 1 }),
});

const rateLimitsSchema = z
  .object({
    signIn: addressBucketSchema.default({ ...DEFAULT_USER_POOL_RATE_LIMITS.signIn }),
    signUp: addressBucketSchema.default({ ...DEFAULT_USER_POOL_RATE_LIMITS.signUp }),
    forgotPassword: addressBucketSchema.default({ ...DEFAULT_USER_POOL_RATE_LIMITS.forgotPassword }),
    codeConfirmation: addressBucketSchema.default({ ...DEFAULT_USER_POOL_RATE_LIMITS.codeConfirmation }),
  })
  .strict();

/** A pool's per-address limits, after defaults. */
export type UserPoolRateLimits = z.output<typeof rateLimitsSchema>;

/** One user pool of the config file. */
export const userPoolSettingsSchema = z
  .object({
    /** `<region>_<name>`: Amplify derives the region and the SRP pool name from it. */
    id: z.string().regex(/^[a-z0-9-]{1,18}_[A-Za-z0-9]{1,36}$/, { error: "expected <region>_<name>, e.g. local_default" }),
    clients: z.array(clientSchema).min(1).prefault([{ id: "default" }]),
    /** Attributes a user may also sign in with, besides the username (Cognito's alias attributes). */
    signInAliases: z.array(z.enum(["email"])).default(["email"]),
    /**
     * Attributes verified by a code at sign-up (Cognito's AutoVerifiedAttributes): `email` by mail,
     * `phone_number` by SMS through `smsSender` (with both, the code goes by email, as Cognito's does).
     */
    autoVerifiedAttributes: z.array(z.enum(["email", "phone_number"])).default(["email"]),
    passwordPolicy: passwordPolicySchema.prefault({}),
    /**
     * Cognito's MfaConfiguration: OFF (no TOTP at all), OPTIONAL (users who set up TOTP are asked
     * for a code at sign-in) or ON (users without MFA must set it up at their next sign-in).
     */
    mfaConfiguration: z.enum(["OFF", "OPTIONAL", "ON"]).default("OPTIONAL"),
    /** Declared custom attributes (`attribute-schema.ts`); absent: any `custom:` name is accepted. */
    customAttributes: customAttributesSchema,
    /**
     * Cognito's SignInPolicy: the first factors a USER_AUTH sign-in may choose. PASSWORD (with
     * PASSWORD_SRP) is always among them; WEB_AUTHN (passkeys) and EMAIL_OTP (a mailed code) are opt-in.
     */
    signInPolicy: z
      .object({
        allowedFirstAuthFactors: z
          .array(z.enum(["PASSWORD", "WEB_AUTHN", "EMAIL_OTP"]))
          .default(["PASSWORD"])
          .refine((factors) => factors.includes("PASSWORD"), { error: "PASSWORD must be among the allowed first factors" }),
      })
      .strict()
      .prefault({}),
    /** Cognito's WebAuthnRelyingPartyId: the domain passkeys are bound to (null: the public URL's host). */
    webAuthnRelyingPartyId: z
      .string()
      .regex(/^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)*$/, { error: "expected a lower-case host name such as example.com" })
      .nullable()
      .default(null),
    /** Cognito's WebAuthnUserVerification: whether the authenticator must verify the user (PIN, biometrics). */
    webAuthnUserVerification: z.enum(["preferred", "required"]).default("preferred"),
    /**
     * The page origins passkey ceremonies may come from (empty: https origins of the relying party
     * and its subdomains, and http on localhost).
     */
    webAuthnOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, { error: "expected an origin such as https://app.example.com" })).default([]),
    /**
     * The MFA factors users may turn on (Cognito's SoftwareTokenMfaConfiguration, EmailMfaConfiguration
     * and SmsMfaConfiguration). SMS_MFA is offered only when `smsSender` is set.
     */
    mfaTypes: z.array(z.enum(MFA_TYPES)).min(1).default(["SOFTWARE_TOKEN_MFA"]),
    /** Where SMS codes go: a signed JSON POST per message (docs/user-pools.md); without it nothing is sent by SMS. */
    smsSender: z
      .object({
        url: z.string().regex(/^https?:\/\/\S+$/, { error: "expected an http(s) URL" }),
        secret: z.string().min(16, { error: "expected a signing secret of at least 16 characters" }),
        timeoutMs: z.number().int().min(100).max(30_000).default(5000),
      })
      .strict()
      .optional(),
    /** Requests per client address, by kind (`address-limits.ts`); Cognito's defaults are account quotas, these are per address. */
    rateLimits: rateLimitsSchema.prefault({}),
    /** The identity pool whose sign-ins accept this pool's ID tokens (null: none). */
    identityPool: z.string().min(1).nullable().default("default"),
    /** Cognito's Lambda triggers: module paths (relative to the config file) or signed endpoints (`triggers/trigger-config.ts`). */
    triggers: triggersSchema,
    /** The live Cognito pool unknown users are looked up in at sign-in and password reset (`migration/`); absent: none. */
    migrateFrom: migrateFromSchema,
    ...oauthPoolShape,
  })
  .strict()
  .superRefine((pool, ctx) => {
    // A client's scopes are user scopes or scopes of one of the pool's resource servers.
    const known = new Set<string>([...USER_SCOPES, ...pool.resourceServers.flatMap((server) => server.scopes.map((scope) => `${server.identifier}/${scope}`))]);
    pool.clients.forEach((client, index) => {
      for (const scope of client.allowedOAuthScopes) {
        if (!known.has(scope)) ctx.addIssue({ code: "custom", message: `scope "${scope}" is neither a user scope nor one of the pool's resource servers'`, path: ["clients", index, "allowedOAuthScopes"] });
      }
    });
    if (pool.migrateFrom !== undefined && pool.triggers.userMigration !== undefined) {
      ctx.addIssue({ code: "custom", message: "a pool migrates users from one place: migrateFrom or the userMigration trigger, not both", path: ["migrateFrom"] });
    }
    if (pool.autoVerifiedAttributes.includes("phone_number") && pool.smsSender === undefined) {
      ctx.addIssue({ code: "custom", message: "verifying phone_number needs an smsSender to text the codes", path: ["autoVerifiedAttributes"] });
    }
  });

/** A user pool after defaults. */
export type UserPoolSettings = z.output<typeof userPoolSettingsSchema>;

/** The `userPools` array of the config file; ids must be unique. */
export const userPoolsFileSchema = z
  .array(userPoolSettingsSchema)
  .superRefine((pools, ctx) => {
    const seen = new Set<string>();
    pools.forEach((pool, index) => {
      if (seen.has(pool.id)) ctx.addIssue({ code: "custom", message: `duplicate user pool id "${pool.id}"`, path: [index, "id"] });
      seen.add(pool.id);
    });
  })
  .optional();

/** The pool served when the config file names none. */
export const DEFAULT_USER_POOL_ID = "local_default";

/** The server-wide user-pool settings. */
export interface UserPoolsConfig {
  /** The served pools. */
  pools: UserPoolSettings[];
  /** Where clients reach this server: tokens' issuer is `<publicUrl><aws prefix>/cognito-idp/<poolId>`. */
  publicUrl: string;
  /** `smtp://` or `smtps://` URL codes are mailed through; null: codes go to the log and `<data dir>/user-pool-codes.log`. */
  smtpUrl: string | null;
  /** The From address of mailed codes. */
  mailFrom: string;
  /** AWS credentials for `migrateFrom`'s live pools (`migrationCredentialsFrom`); null or absent: the SDK's default chain. */
  migrationCredentials?: MigrationCredentials;
}

/** The environment variables of the user pools, for `server/config.ts`'s schema. */
export const userPoolEnvShape = {
  SYNCPOOL_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^/\s]+$/, { error: "expected an origin such as https://sync.example.com (no path, no trailing slash)" })
    .optional(),
  SYNCPOOL_SMTP_URL: z.string().regex(/^smtps?:\/\/.+/, { error: "expected smtp://host:port or smtps://user:pass@host:port" }).optional(),
  SYNCPOOL_MAIL_FROM: z.string().min(3).optional(),
  ...migrationEnvShape,
};

type UserPoolEnv = { [K in keyof typeof userPoolEnvShape]?: z.output<(typeof userPoolEnvShape)[K]> };

/**
 * The user-pool settings from parsed environment values and the file's `userPools` (undefined when
 * the file has none, or there is no file). `host`, `port` and whether the server listens with TLS
 * make the default public URL.
 */
export function toUserPoolsConfig(env: UserPoolEnv, filePools: UserPoolSettings[] | undefined, host: string, port: number, tls = false): UserPoolsConfig {
  const localHost = host === "0.0.0.0" || host === "::" || host === "127.0.0.1" ? "localhost" : host;
  return {
    pools: filePools ?? [userPoolSettingsSchema.parse({ id: DEFAULT_USER_POOL_ID })],
    publicUrl: env.SYNCPOOL_PUBLIC_URL ?? `${tls ? "https" : "http"}://${localHost.includes(":") ? `[${localHost}]` : localHost}:${port}`,
    smtpUrl: env.SYNCPOOL_SMTP_URL ?? null,
    mailFrom: env.SYNCPOOL_MAIL_FROM ?? "no-reply@localhost",
    migrationCredentials: migrationCredentialsFrom(env),
  };
}

/** A user pool as written in the config file (before defaults). */
export type UserPoolSettingsInput = z.input<typeof userPoolSettingsSchema>;
