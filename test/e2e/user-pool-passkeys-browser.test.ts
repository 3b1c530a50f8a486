/**
 * In Chromium, with a virtual platform authenticator (the DevTools protocol's
 * `WebAuthn.addVirtualAuthenticator`): unmodified Amplify signs in with a password, registers a
 * passkey with `associateWebAuthnCredential()`, lists it, signs out, signs in with the passkey
 * (USER_AUTH preferring WEB_AUTHN, the browser's own `navigator.credentials.get`), and deletes it.
 * The page runs at `http://localhost:<port>`, a secure context whose host is the relying party.
 */
import { build } from "esbuild";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";

const PASSWORD = "Correct-horse-9";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Amplify's auth category bundled for a page, as `window.amplify`. */
async function bundleAmplifyForPage(): Promise<string> {
  const result = await build({
    stdin: { contents: 'export { Amplify } from "aws-amplify"; export * from "aws-amplify/auth";', resolveDir: root, loader: "ts" },
    bundle: true,
    format: "iife",
    globalName: "amplify",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

describeInBrowser("passkeys through unmodified Amplify in Chromium", () => {
  let server: TestServer;
  let browser: FileBrowser;
  let page: Page;
  let pageUrl: string;

  beforeAll(async () => {
    const pools = [{ id: "local_default", signInPolicy: { allowedFirstAuthFactors: ["PASSWORD" as const, "WEB_AUTHN" as const] } }];
    server = await startTestServer({ config: { userPools: userPoolsConfig("http://localhost", pools) } });
    pageUrl = server.url.replace("127.0.0.1", "localhost");
    const call = (operation: string, body: unknown) => callUserPool((path, init) => fetch(`${server.url}${path}`, init), "", operation, body);
    await call("SignUp", { ClientId: "default", Username: "vera", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "vera@example.com" }] });
    await call("ConfirmSignUp", { ClientId: "default", Username: "vera", ConfirmationCode: await codeFromLog(server.dataDir, "vera", "SIGN_UP") });

    const [bundle, launched] = await Promise.all([bundleAmplifyForPage(), openChromium()]);
    browser = launched;
    page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(`${pageUrl}/aws/cognito-idp/local_default/.well-known/openid-configuration`);
    await page.addScriptTag({ content: bundle });
    await page.evaluate((endpoint) => {
      const { amplify } = window as unknown as { amplify: typeof import("aws-amplify/auth") & typeof import("aws-amplify") };
      amplify.Amplify.configure({ Auth: { Cognito: { userPoolId: "local_default", userPoolClientId: "default", userPoolEndpoint: endpoint } } });
    }, `${pageUrl}/aws/cognito-idp`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("registers a passkey with associateWebAuthnCredential, signs in with it, lists and deletes it", async () => {
    const steps = await page.evaluate(async (password) => {
      const { amplify } = window as unknown as { amplify: typeof import("aws-amplify/auth") };
      const byPassword = await amplify.signIn({ username: "vera", password, options: { authFlowType: "USER_AUTH", preferredChallenge: "PASSWORD" } });
      await amplify.associateWebAuthnCredential();
      const listed = await amplify.listWebAuthnCredentials();
      await amplify.signOut();
      const byPasskey = await amplify.signIn({ username: "vera", options: { authFlowType: "USER_AUTH", preferredChallenge: "WEB_AUTHN" } });
      const session = await amplify.fetchAuthSession();
      const credentialId = listed.credentials[0]?.credentialId ?? "";
      await amplify.deleteWebAuthnCredential({ credentialId });
      const afterDelete = await amplify.listWebAuthnCredentials();
      return {
        byPassword: byPassword.nextStep.signInStep,
        listed: listed.credentials.map((credential) => ({ relyingPartyId: credential.relyingPartyId, attachment: credential.authenticatorAttachment })),
        byPasskey: byPasskey.nextStep.signInStep,
        username: session.tokens?.accessToken.payload["username"],
        afterDelete: afterDelete.credentials.length,
      };
    }, PASSWORD);
    expect(steps).toEqual({ byPassword: "DONE", listed: [{ relyingPartyId: "localhost", attachment: "platform" }], byPasskey: "DONE", username: "vera", afterDelete: 0 });
  });
});
