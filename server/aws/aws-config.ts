/**
 * Settings of the AWS-compatible endpoints that the environment may set. `server/config.ts` stays
 * the only reader of the environment: it spreads `awsEnvShape` into its schema and calls
 * `toAwsConfig` on the parsed values. Only zod here: config.ts imports this file.
 */
import { z } from "zod";

/** The server-wide AWS settings. */
export interface AwsConfig {
  /** Serve `/aws/...` at all. */
  enabled: boolean;
  /** Where the three services live: `<pathPrefix>/cognito-identity`, `/cognito-sync`, `/kinesis`. */
  pathPrefix: string;
  /** Lifetime of temporary credentials (GetCredentialsForIdentity); AWS's is one hour. */
  credentialsTtlSeconds: number;
  /**
   * The push gateway RegisterDevice registers APNS/GCM/ADM devices at (a WEBHOOK device whose token
   * is `<platform>:<device token>`); null: RegisterDevice answers InvalidConfigurationException.
   */
  pushGatewayUrl: string | null;
}

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `expected an integer from ${min} to ${max}` }).max(max, { error: `expected an integer from ${min} to ${max}` }));

/** The environment variables of the AWS endpoints, for `server/config.ts`'s schema. */
export const awsEnvShape = {
  SYNCPOOL_AWS_ENABLED: z.enum(["true", "false"], { error: "expected true or false" }).default("true"),
  SYNCPOOL_AWS_PATH_PREFIX: z
    .string()
    .regex(/^(\/[A-Za-z0-9._-]+)+$/, { error: "expected a path such as /aws (no trailing slash)" })
    .default("/aws"),
  SYNCPOOL_AWS_CREDENTIALS_TTL_SECONDS: int(60, 43_200).default(3600),
  SYNCPOOL_AWS_PUSH_GATEWAY_URL: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
};

type AwsEnv = { [K in keyof typeof awsEnvShape]?: z.output<(typeof awsEnvShape)[K]> };

/** The AWS settings from parsed environment values. */
export function toAwsConfig(env: AwsEnv): AwsConfig {
  return {
    enabled: env.SYNCPOOL_AWS_ENABLED !== "false",
    pathPrefix: env.SYNCPOOL_AWS_PATH_PREFIX ?? DEFAULT_AWS_CONFIG.pathPrefix,
    credentialsTtlSeconds: env.SYNCPOOL_AWS_CREDENTIALS_TTL_SECONDS ?? DEFAULT_AWS_CONFIG.credentialsTtlSeconds,
    pushGatewayUrl: env.SYNCPOOL_AWS_PUSH_GATEWAY_URL ?? null,
  };
}

/** The defaults, for code that builds a `ServerConfig` by hand. */
export const DEFAULT_AWS_CONFIG: Readonly<AwsConfig> = Object.freeze({ enabled: true, pathPrefix: "/aws", credentialsTtlSeconds: 3600, pushGatewayUrl: null });
