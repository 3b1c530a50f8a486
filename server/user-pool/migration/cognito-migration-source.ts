/**
 * The built-in migration source: a live Cognito user pool (`migrateFrom.cognito`), asked about a
 * user this pool does not know. `signIn` checks the password there (AdminInitiateAuth
 * ADMIN_USER_PASSWORD_AUTH with the operator's AWS credentials, or InitiateAuth USER_PASSWORD_AUTH),
 * reads the user (AdminGetUser, or GetUser with the user's own token) and revokes the refresh token
 * it got; `lookUp` (password reset) reads the user with AdminGetUser. The SDK is loaded at the first
 * call, so servers without `migrateFrom` never need it.
 *
 * Outcomes: a wrong password, an unknown, unconfirmed or disabled user is `null` (this pool then
 * answers as for an unknown user). NEW_PASSWORD_REQUIRED migrates the user as FORCE_CHANGE_PASSWORD
 * with that temporary password; any other challenge (MFA) proves the password but not the second
 * factor, which cannot be carried over, so the user comes as RESET_REQUIRED (a mailed code sets a
 * new password). A live pool that cannot be reached, or refuses this pool's client or credentials,
 * is UnexpectedLambdaException, as Cognito reports a failing migration trigger, and nothing is created.
 */
import { createHmac } from "node:crypto";
import type { Logger } from "../../logger.js";
import { UserPoolError } from "../user-pool-errors.js";
import type { CognitoSourceSettings, MigrationCredentials } from "./migrate-from-config.js";

/** A user as the live pool knows it. */
export interface SourceUser {
  username: string;
  sub: string | null;
  /** As the live pool answers them, `sub` and verified flags included. */
  attributes: Record<string, string>;
}

/** A password the live pool accepted, and what the user must do next here. */
export interface SourceSignIn {
  user: SourceUser;
  status: "CONFIRMED" | "FORCE_CHANGE_PASSWORD" | "RESET_REQUIRED";
}

/** The live pool of one user pool's `migrateFrom`. */
export interface CognitoMigrationSource {
  signIn(name: string, password: string): Promise<SourceSignIn | null>;
  lookUp(name: string): Promise<SourceUser | null>;
}


/** Exceptions of the live pool that mean "no such user with that password" here. */
const REFUSALS = new Set(["NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException"]);

type Sdk = typeof import("@aws-sdk/client-cognito-identity-provider");
type AttributeList = { Name?: string; Value?: string }[] | undefined;

const attributesOf = (list: AttributeList) => Object.fromEntries((list ?? []).filter((entry) => entry.Name && entry.Value !== undefined).map((entry) => [entry.Name!, entry.Value!]));

/** Builds the source; see the module comment. */
export function createCognitoMigrationSource(settings: CognitoSourceSettings, credentials: MigrationCredentials, logger: Logger): CognitoMigrationSource {
  let client: Promise<{ sdk: Sdk; send: (command: any) => Promise<any> }> | undefined;
  const connect = () =>
    (client ??= import("@aws-sdk/client-cognito-identity-provider").then((sdk) => {
      const cognito = new sdk.CognitoIdentityProviderClient({
        region: settings.region,
        ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
        ...(credentials !== null ? { credentials } : {}),
        maxAttempts: 2,
        requestHandler: { connectionTimeout: settings.timeoutMs, requestTimeout: settings.timeoutMs },
      });
      return { sdk, send: (command: any) => cognito.send(command) };
    }));
  const secretHash = (username: string): Record<string, string> =>
    settings.clientSecret === undefined ? {} : { SECRET_HASH: createHmac("sha256", settings.clientSecret).update(`${username}${settings.clientId}`).digest("base64") };
  const admin = settings.flow === "ADMIN_USER_PASSWORD_AUTH";

  /** Runs `call`; a refusal of the user is null, anything else that fails is the live pool failing. */
  const ask = async <T>(what: string, call: (sdk: Sdk) => Promise<T>): Promise<T | null> => {
    try {
      return await call((await connect()).sdk);
    } catch (error) {
      const name = (error as { name?: string }).name ?? "Error";
      const message = (error as Error).message ?? "";
      // A secret hash or client the live pool refuses is this pool's configuration, not the user's password.
      if (REFUSALS.has(name) && !/secret hash|client/i.test(message)) return null;
      logger.error({ err: error, userPoolId: settings.userPoolId, what }, "the live Cognito pool users migrate from failed");
      throw new UserPoolError("UnexpectedLambdaException", `The user pool users migrate from (${settings.userPoolId}) could not be asked: ${name}.`);
    }
  };

  const adminGetUser = (name: string) =>
    ask("AdminGetUser", async (sdk) => {
      const answer = await (await connect()).send(new sdk.AdminGetUserCommand({ UserPoolId: settings.userPoolId, Username: name }));
      if (answer.Enabled === false || answer.UserStatus === "UNCONFIRMED") return null;
      const attributes = attributesOf(answer.UserAttributes);
      return { username: answer.Username ?? name, sub: attributes["sub"] ?? null, attributes } satisfies SourceUser;
    });

  return {
    async signIn(name, password) {
      const answer = await ask("InitiateAuth", async (sdk) => {
        const parameters = { USERNAME: name, PASSWORD: password, ...secretHash(name) };
        const { send } = await connect();
        return admin
          ? send(new sdk.AdminInitiateAuthCommand({ UserPoolId: settings.userPoolId, ClientId: settings.clientId, AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: parameters }))
          : send(new sdk.InitiateAuthCommand({ ClientId: settings.clientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: parameters }));
      });
      if (answer === null) return null;
      const tokens = answer.AuthenticationResult;
      const challenge: string | undefined = answer.ChallengeName;
      const status = tokens ? "CONFIRMED" : challenge === "NEW_PASSWORD_REQUIRED" ? "FORCE_CHANGE_PASSWORD" : "RESET_REQUIRED";
      let user: SourceUser | null;
      if (admin) user = await adminGetUser(name);
      else if (tokens?.AccessToken) {
        user = await ask("GetUser", async (sdk) => {
          const got = await (await connect()).send(new sdk.GetUserCommand({ AccessToken: tokens.AccessToken }));
          const attributes = attributesOf(got.UserAttributes);
          return { username: got.Username ?? name, sub: attributes["sub"] ?? null, attributes };
        });
      } else if (challenge === "NEW_PASSWORD_REQUIRED") {
        const given = JSON.parse(answer.ChallengeParameters?.["userAttributes"] ?? "{}") as Record<string, string>;
        user = { username: answer.ChallengeParameters?.["USER_ID_FOR_SRP"] ?? name, sub: null, attributes: given };
      } else {
        // Without AWS credentials an MFA user's attributes (its email, for the reset) cannot be read.
        logger.warn({ userPoolId: settings.userPoolId, challenge }, "a user the live pool asks for MFA cannot be migrated with USER_PASSWORD_AUTH");
        user = null;
      }
      if (tokens?.RefreshToken) {
        // This pool's sign-in replaces the live one: its refresh token is not left valid. Best effort.
        const revoked = await ask("RevokeToken", async (sdk) =>
          (await connect()).send(new sdk.RevokeTokenCommand({ Token: tokens.RefreshToken, ClientId: settings.clientId, ...(settings.clientSecret ? { ClientSecret: settings.clientSecret } : {}) })),
        ).catch(() => null);
        if (revoked === null) logger.debug({ userPoolId: settings.userPoolId }, "the live pool's refresh token was not revoked");
      }
      return user === null ? null : { user, status };
    },
    lookUp: (name) => (admin ? adminGetUser(name) : Promise.resolve(null)),
  };
}

/** The migration source of each pool that has `migrateFrom`, by pool id; built once, connected at first use. */
export function createMigrationSources(pools: readonly { id: string; migrateFrom?: { cognito: CognitoSourceSettings } | undefined }[], credentials: MigrationCredentials, logger: Logger) {
  const sources = new Map(pools.flatMap((pool) => (pool.migrateFrom ? [[pool.id, createCognitoMigrationSource(pool.migrateFrom.cognito, credentials, logger)] as const] : [])));
  return (poolId: string): CognitoMigrationSource | null => sources.get(poolId) ?? null;
}
