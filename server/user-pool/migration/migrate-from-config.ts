/**
 * A pool's `migrateFrom`: the live user pool the app is leaving, asked about users this pool does
 * not know yet (`cognito-migration-source.ts`). Only zod here; `user-pool-config.ts` puts the
 * schema in a pool's. The AWS credentials are not written here: `server/config.ts` reads them from
 * the environment (`UserPoolsConfig.migrationCredentials`).
 *
 *   "migrateFrom": { "cognito": { "region": "eu-west-1", "userPoolId": "eu-west-1_AbCdEf123", "clientId": "4p7..." } }
 */
import { z } from "zod";

/** How the live pool checks a password. */
export const MIGRATION_FLOWS = ["ADMIN_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"] as const;

const cognitoSourceSchema = z
  .object({
    /** The live pool's region, e.g. `eu-west-1` (also the signing region). */
    region: z.string().regex(/^[a-z0-9-]{1,32}$/, { error: "expected a region such as eu-west-1" }),
    /** The live pool's id, `<region>_<id>`. */
    userPoolId: z.string().regex(/^[\w-]+_[0-9A-Za-z]+$/, { error: "expected a user pool id such as eu-west-1_AbCdEf123" }),
    /** An app client of the live pool that allows the chosen flow. */
    clientId: z.string().regex(/^[\w+]{1,128}$/, { error: "expected an app client id" }),
    /** That client's secret, when it has one (requests then carry SECRET_HASH). */
    clientSecret: z.string().min(1).optional(),
    /** Where the live pool answers; default Cognito's `https://cognito-idp.<region>.amazonaws.com`. */
    endpoint: z.string().regex(/^https?:\/\/[^\s]+$/, { error: "expected an http(s) URL" }).optional(),
    /**
     * ADMIN_USER_PASSWORD_AUTH (default): AdminInitiateAuth and AdminGetUser, signed with the
     * operator's AWS credentials; the password-reset migration needs it. USER_PASSWORD_AUTH:
     * InitiateAuth and GetUser with the user's own token, no AWS credentials needed.
     */
    flow: z.enum(MIGRATION_FLOWS).default("ADMIN_USER_PASSWORD_AUTH"),
    /** Per request to the live pool. */
    timeoutMs: z.number().int().min(100).max(30_000).default(5000),
  })
  .strict();

/** A pool's `migrateFrom`. */
export const migrateFromSchema = z.object({ cognito: cognitoSourceSchema }).strict().optional();

/** The live Cognito pool of a `migrateFrom`, after defaults. */
export type CognitoSourceSettings = z.output<typeof cognitoSourceSchema>;

/** The environment variables of the live pools' AWS credentials, for `server/config.ts`'s schema. */
export const migrationEnvShape = {
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
};

/** AWS credentials; null: the AWS SDK's default chain (profile, SSO, container or instance role). */
export type MigrationCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;

/** The credentials the parsed environment gives (both key parts), else null. */
export function migrationCredentialsFrom(env: { AWS_ACCESS_KEY_ID?: string | undefined; AWS_SECRET_ACCESS_KEY?: string | undefined; AWS_SESSION_TOKEN?: string | undefined }): MigrationCredentials {
  if (env.AWS_ACCESS_KEY_ID === undefined || env.AWS_SECRET_ACCESS_KEY === undefined) return null;
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN !== undefined ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}
