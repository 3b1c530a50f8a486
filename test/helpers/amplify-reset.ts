/**
 * Amplify keeps its state in module singletons: the tokens of the signed-in user (in the token
 * provider's key-value storage, which a file may swap for its own), the identity id and AWS
 * credentials it last obtained (in memory), and the guest identity id (in storage). The sqlite and
 * postgres projects run file after file in one worker without re-importing modules
 * (`isolate: false`), so without a reset one file's signed-in user, or an identity id of a server
 * that has since closed, would be what Amplify sends in the next file.
 */
import { cognitoCredentialsProvider, cognitoUserPoolsTokenProvider } from "aws-amplify/auth/cognito";
import { defaultStorage } from "aws-amplify/utils";
import { afterAll, beforeAll } from "vitest";

/** Forgets every user, token, identity id and credential Amplify holds. */
export async function resetAmplify(): Promise<void> {
  cognitoUserPoolsTokenProvider.setKeyValueStorage(defaultStorage);
  await defaultStorage.clear();
  await cognitoCredentialsProvider.clearCredentialsAndIdentityId();
}

/** Registers the reset before the file's first test and after its last; call it at the top of the file. */
export function freshAmplifyForThisFile(): void {
  beforeAll(resetAmplify);
  afterAll(resetAmplify);
}
