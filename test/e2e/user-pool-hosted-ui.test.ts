/**
 * Unmodified Amplify's `signInWithRedirect` in Chromium against the hosted UI: the app page
 * (http://localhost, a secure context) sends the browser to `https://<domain>/oauth2/authorize`,
 * the user signs in on the pool's page, the browser comes back with `code` and `state`, Amplify
 * exchanges the code with its PKCE verifier at `https://<domain>/oauth2/token`, refreshes later
 * through `userPoolEndpoint`, and `signOut` revokes the refresh token and goes through `/logout`.
 * Amplify only builds https:// hosted-UI URLs, so the server sits behind a TLS front with a
 * certificate made for the test (`test/helpers/tls-front.ts`), as operators put TLS in front.
 */
import { CognitoIdentityProviderClient, InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { build } from "esbuild";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startTlsFront, type TlsFront } from "../helpers/tls-front.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";

const POOL = "local_hosted";
const CLIENT = "web";
const PASSWORD = "Correct-horse-9";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

type AmplifyOnPage = typeof import("aws-amplify/auth") & typeof import("aws-amplify");

/** The app: one page that loads Amplify and configures it for the hosted UI at `domain`. */
async function startAppServer(): Promise<{ server: Server; url: string; configure(config: unknown): void }> {
  const built = await build({
    stdin: { contents: 'export { Amplify as Core } from "aws-amplify"; export * from "aws-amplify/auth";', resolveDir: root, loader: "ts" },
    bundle: true,
    format: "iife",
    globalName: "amplify",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const bundle = built.outputFiles[0]?.text ?? "";
  let amplifyConfig: unknown = null;
  const server = createServer((request, response) => {
    if (request.url === "/amplify.js") {
      response.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      return;
    }
    // Every other path is the app page: Amplify configured at load, as an app does.
    const page = `<!doctype html><html><head><script src="/amplify.js"></script>
<script>window.amplify.Core.configure(${JSON.stringify(amplifyConfig)});</script></head><body>app</body></html>`;
    response.writeHead(200, { "content-type": "text/html" }).end(page);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, url: `http://localhost:${(server.address() as AddressInfo).port}/`, configure: (config) => (amplifyConfig = config) };
}

describeInBrowser("the hosted UI through Amplify's signInWithRedirect in Chromium", () => {
  let app: Awaited<ReturnType<typeof startAppServer>>;
  let front: TlsFront;
  let server: TestServer;
  let browser: FileBrowser;
  let page: Page;
  let cognito: CognitoIdentityProviderClient;

  beforeAll(async () => {
    [app, front] = await Promise.all([startAppServer(), startTlsFront()]);
    const pools = [{ id: POOL, clients: [{ id: CLIENT, callbackUrls: [app.url], logoutUrls: [app.url] }], hostedUi: { title: "Family Notes" } }];
    server = await startTestServer({ config: { userPools: userPoolsConfig(front.url, pools) } });
    front.setTarget(server.url);
    const call = (operation: string, body: unknown) => callUserPool((path, init) => fetch(`${server.url}${path}`, init), "", operation, body);
    await call("SignUp", { ClientId: CLIENT, Username: "hana", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "hana@example.com" }] });
    await call("ConfirmSignUp", { ClientId: CLIENT, Username: "hana", ConfirmationCode: await codeFromLog(server.dataDir, "hana", "SIGN_UP") });
    app.configure({
      Auth: {
        Cognito: {
          userPoolId: POOL,
          userPoolClientId: CLIENT,
          userPoolEndpoint: `${front.url}/aws/cognito-idp`,
          loginWith: {
            oauth: {
              domain: `${front.url.replace("https://", "")}/auth/${POOL}`,
              scopes: ["openid", "email", "aws.cognito.signin.user.admin"],
              redirectSignIn: [app.url],
              redirectSignOut: [app.url],
              responseType: "code",
            },
          },
        },
      },
    });
    cognito = new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    browser = await openChromium();
    // The TLS front's certificate is the test's own.
    page = await browser.newPage({ ignoreHTTPSErrors: true });
  });

  afterAll(async () => {
    cognito?.destroy();
    await browser?.close();
    await server?.close();
    await front?.close();
    await new Promise((done) => app?.server.close(done));
  });

  /**
   * Calls an Amplify function that sends the page elsewhere (a redirect to the pool's pages and
   * back), without waiting for its answer: the navigation may destroy the page's context before
   * the evaluation answers, and that rejection says nothing. The test waits for where it lands.
   */
  const startNavigating = (call: "signInWithRedirect" | "signOut") => {
    page
      .evaluate((name) => {
        const { amplify } = window as unknown as { amplify: AmplifyOnPage };
        return name === "signOut" ? amplify.signOut() : amplify.signInWithRedirect();
      }, call)
      .catch(() => undefined);
  };

  const signedInUsername = () =>
    page.evaluate(async () => {
      const { amplify } = window as unknown as { amplify: AmplifyOnPage };
      const session = await amplify.fetchAuthSession();
      return (session.tokens?.accessToken.payload["username"] as string | undefined) ?? null;
    });

  it("signs in on the pool's page, comes back with a code Amplify exchanges, refreshes through the API, and signs out through /logout", async () => {
    await page.goto(app.url);
    startNavigating("signInWithRedirect");
    await page.waitForURL((url) => url.pathname === `/auth/${POOL}/login`);
    expect(await page.title()).toBe("Sign in - Family Notes");
    await page.fill("#username", "hana");
    await page.fill("#password", "wrong-Password-1");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent(".error")).toBe("Incorrect username or password.");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL((url) => url.origin === new URL(app.url).origin);
    await expect.poll(signedInUsername, { timeout: 10_000 }).toBe("hana");

    const tokens = await page.evaluate(async () => {
      const { amplify } = window as unknown as { amplify: AmplifyOnPage };
      const first = await amplify.fetchAuthSession();
      const refreshed = await amplify.fetchAuthSession({ forceRefresh: true });
      const key = Object.keys(localStorage).find((name) => name.endsWith(".refreshToken"))!;
      return {
        scope: first.tokens?.accessToken.payload["scope"],
        firstJti: first.tokens?.accessToken.payload["jti"],
        refreshedJti: refreshed.tokens?.accessToken.payload["jti"],
        originJti: first.tokens?.accessToken.payload["origin_jti"],
        refreshedOriginJti: refreshed.tokens?.accessToken.payload["origin_jti"],
        refreshToken: localStorage.getItem(key),
      };
    });
    expect(tokens.scope).toBe("openid email aws.cognito.signin.user.admin");
    expect(tokens.refreshedJti).not.toBe(tokens.firstJti);
    expect(tokens.refreshedOriginJti).toBe(tokens.originJti);

    // The page is at app.url already, so waiting for that URL would return at once, before
    // signOut's trip through /logout: wait for the new document that trip ends on instead.
    const backFromLogout = page.waitForEvent("framenavigated", (frame) => frame === page.mainFrame() && frame.url() === app.url);
    startNavigating("signOut");
    await backFromLogout;
    await page.waitForLoadState("load");
    await expect.poll(signedInUsername).toBeNull();
    await expect(cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: tokens.refreshToken! } }))).rejects.toMatchObject({
      name: expect.stringMatching(/^(NotAuthorizedException|RefreshTokenReuseException)$/),
    });

    // The hosted session ended with /logout: the next redirect shows the form again.
    startNavigating("signInWithRedirect");
    await page.waitForURL((url) => url.pathname === `/auth/${POOL}/login`);
  });
});
