/**
 * The real AWS SDK clients pointed at a test server, the way a migrating app configures them:
 * the service's endpoint under `/aws`, plain HTTP through `NodeHttpHandler` (the Kinesis client
 * would otherwise speak HTTP/2), and a region. Unsigned Cognito Identity calls (GetId,
 * GetCredentialsForIdentity) need no credentials: the SDK does not sign them.
 *
 *   const aws = awsClients(server.url);
 *   const { IdentityId } = await aws.identity.send(new GetIdCommand({ IdentityPoolId, Logins }));
 *   const sync = aws.sync(credentials);
 */
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from "@aws-sdk/client-cognito-identity";
import { CognitoSyncClient } from "@aws-sdk/client-cognito-sync";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/** Access key pair (copied into each client: the SDK marks the object it is given) and optional session token, as the SDKs take them. */
export interface AwsTestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const AWS_REGION = "us-east-1";

/** Developer credentials used by the AWS test pools. */
export const DEVELOPER_CREDENTIALS = Object.freeze({ accessKeyId: "AKIASYNCPOOLTEST0001", secretAccessKey: "developer-secret-for-aws-tests-0123456789" });

/** Builds the clients for a server at `baseUrl`. */
export function awsClients(baseUrl: string) {
  const common = { region: AWS_REGION, requestHandler: new NodeHttpHandler(), maxAttempts: 1 };
  const identity = new CognitoIdentityClient({ ...common, endpoint: `${baseUrl}/aws/cognito-identity` });
  return {
    identity,
    /** A Cognito Identity client signing with `credentials` (developer operations). */
    identityAs: (credentials: AwsTestCredentials) => new CognitoIdentityClient({ ...common, endpoint: `${baseUrl}/aws/cognito-identity`, credentials: { ...credentials } }),
    sync: (credentials: AwsTestCredentials, extra: { systemClockOffset?: number } = {}) =>
      new CognitoSyncClient({ ...common, ...extra, endpoint: `${baseUrl}/aws/cognito-sync`, credentials: { ...credentials } }),
    kinesis: (credentials: AwsTestCredentials = DEVELOPER_CREDENTIALS) => new KinesisClient({ ...common, endpoint: `${baseUrl}/aws/kinesis`, credentials: { ...credentials } }),
    /** GetId then GetCredentialsForIdentity, as the SDKs' credential providers do. */
    async credentialsFor(identityPoolId: string, logins: Record<string, string> = {}): Promise<{ identityId: string; credentials: AwsTestCredentials }> {
      const { IdentityId } = await identity.send(new GetIdCommand({ IdentityPoolId: identityPoolId, Logins: logins }));
      const answer = await identity.send(new GetCredentialsForIdentityCommand({ IdentityId: IdentityId!, Logins: logins }));
      const { AccessKeyId, SecretKey, SessionToken } = answer.Credentials!;
      return { identityId: answer.IdentityId!, credentials: { accessKeyId: AccessKeyId!, secretAccessKey: SecretKey!, sessionToken: SessionToken! } };
    },
  };
}

/** The clients `awsClients` builds. */
export type AwsClients = ReturnType<typeof awsClients>;
