/**
 * DescribeUserPool and DescribeUserPoolClient: a pool's and an app client's settings in Cognito's
 * UserPoolType and UserPoolClientType, read from the configuration (they change only with it).
 * The client's secret is included, as Cognito includes it for the developer.
 */
import type { DeveloperOperation } from "./developer-operation.js";
import { UserPoolError } from "./user-pool-errors.js";
import { requiredString } from "./user-pool-input.js";

/** DescribeUserPool. */
export const describeUserPool: DeveloperOperation = async (deps, _body, pool) => {
  const { settings } = pool;
  const policy = settings.passwordPolicy;
  return {
    UserPool: {
      Id: settings.id,
      Name: settings.id.split("_")[1],
      Arn: `arn:aws:cognito-idp:${settings.id.split("_")[0]}:000000000000:userpool/${settings.id}`,
      Policies: {
        PasswordPolicy: {
          MinimumLength: policy.minimumLength,
          RequireUppercase: policy.requireUppercase,
          RequireLowercase: policy.requireLowercase,
          RequireNumbers: policy.requireNumbers,
          RequireSymbols: policy.requireSymbols,
          ...(policy.passwordHistorySize > 0 ? { PasswordHistorySize: policy.passwordHistorySize } : {}),
        },
      },
      AliasAttributes: settings.signInAliases,
      AutoVerifiedAttributes: settings.autoVerifiedAttributes,
      MfaConfiguration: settings.mfaConfiguration,
      EstimatedNumberOfUsers: await countUsers(deps, settings.id),
      UserPoolTags: {},
    },
  };
};

/** The pool's users, counted a page at a time (an estimate in Cognito too). */
async function countUsers(deps: Parameters<DeveloperOperation>[0], poolId: string): Promise<number> {
  let count = 0;
  let after: string | null = null;
  do {
    const page = await deps.store.listUsers(poolId, null, after, 1000);
    count += page.items.length;
    after = page.next;
  } while (after !== null);
  return count;
}

/** DescribeUserPoolClient. */
export const describeUserPoolClient: DeveloperOperation = async (deps, body, pool) => {
  const clientId = requiredString(body, "ClientId", 128);
  const found = deps.clients.get(clientId);
  if (found === undefined || found.pool !== pool) throw new UserPoolError("ResourceNotFoundException", `User pool client ${clientId} does not exist.`);
  const { client } = found;
  return {
    UserPoolClient: {
      UserPoolId: pool.settings.id,
      ClientName: client.id,
      ClientId: client.id,
      ...(client.secret === undefined ? {} : { ClientSecret: client.secret }),
      RefreshTokenValidity: client.refreshTokenValiditySeconds,
      AccessTokenValidity: client.accessTokenValiditySeconds,
      IdTokenValidity: client.idTokenValiditySeconds,
      TokenValidityUnits: { AccessToken: "seconds", IdToken: "seconds", RefreshToken: "seconds" },
      ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: "ENABLED",
      ...(client.refreshTokenRotation ? { RefreshTokenRotation: { Feature: "ENABLED", RetryGracePeriodSeconds: client.retryGracePeriodSeconds } } : {}),
    },
  };
};
