/**
 * The client's own user-pool calls (`client.signUp`, `client.signIn({ username, password })`,
 * `client.confirmSignIn`...): where the pool is, and the `UserPoolAuth` (`user-pool/`) that speaks
 * to it, loaded with a dynamic import() on the first call so apps that never sign in this way do
 * not download it. One `UserPoolAuth` per client, so an MFA step is answered where it was asked and
 * the tokens it holds renew the client's session. The tokens are also kept in the device database,
 * so an app started again renews the session of the identity they signed in as.
 */
import type { ClientOptions } from "./options.js";
import type { SignInOptions, SignInResult } from "./session.js";
import type { DeviceStore, StoredUserPoolSession } from "./store/device-db.js";
import type { Login } from "./transport/transport.js";
import type { MfaType, SignsIn, UserPoolAuth, UserPoolSignInResult, UserPoolTokens } from "./user-pool/user-pool-auth.js";

/** Where the client's user-pool calls go (`ClientOptions.userPool`). */
export interface UserPoolOptions {
  /** The user pool. Default `local_default`, the pool `npm start` serves. */
  userPoolId?: string;
  /** The pool's app client. Default `default`. */
  clientId?: string;
  /**
   * The server's origin; the user-pool API is under `/aws/cognito-idp`. Default: the client's
   * `endpoint` without its trailing `/graphql`.
   */
  endpoint?: string;
}

/** What `client.signIn({ username, password })` takes. */
export interface UserPoolSignIn {
  username: string;
  password: string;
}

/** The server origin a GraphQL endpoint belongs to: `https://sync.example.com/graphql` -> `https://sync.example.com`. */
export function serverOrigin(graphqlEndpoint: string): string {
  const trimmed = graphqlEndpoint.replace(/\/+$/, "");
  return trimmed.endsWith("/graphql") ? trimmed.slice(0, -"/graphql".length) : new URL(trimmed).origin;
}

/** The tokens of a kept user-pool session. */
function tokensOf(stored: StoredUserPoolSession): UserPoolTokens {
  return { idToken: stored.idToken, accessToken: stored.accessToken, refreshToken: stored.refreshToken, expiresAt: stored.expiresAt };
}

/**
 * The user-pool methods of `SyncClient` (see the module comment), apart from the orchestrator;
 * `SyncClient` extends it and sends `signIn({ username, password })` here.
 */
export abstract class UserPoolAccount implements SignsIn {
  #auth: Promise<UserPoolAuth> | null = null;
  readonly #options: ClientOptions;
  /** Where the signed-in user's tokens are kept for a restarted app (set by `keepUserPoolTokensIn`). */
  #devices: DeviceStore | null = null;

  constructor(options: ClientOptions) {
    this.#options = options;
  }

  abstract signIn(options: SignInOptions): Promise<SignInResult>;
  abstract signOut(): Promise<void>;

  /** Answers the step a user-pool `signIn` named: `{ code }` (TOTP, email, SMS) or `{ mfaType }` (the MFA kind to use). */
  confirmSignIn(input: { code: string } | { mfaType: MfaType }): Promise<UserPoolSignInResult> {
    return this.#load().then((auth) => auth.confirmSignIn(input)).then((result) => this.#keep(result));
  }

  /** Registers a user in the user pool; unless the pool confirms at once, a code goes out for `confirmSignUp`. */
  signUp(input: { username: string; password: string; attributes?: Record<string, string> }): Promise<{ userConfirmed: boolean; userSub: string }> {
    return this.#load().then((auth) => auth.signUp(input));
  }

  /** Confirms a user-pool sign-up with the code the user received. */
  confirmSignUp(input: { username: string; code: string }): Promise<void> {
    return this.#load().then((auth) => auth.confirmSignUp(input));
  }

  /** Sends the sign-up code again. */
  resendSignUpCode(input: { username: string }): Promise<void> {
    return this.#load().then((auth) => auth.resendSignUpCode(input));
  }

  /** Starts a user-pool password reset: a code goes to the user's verified email or phone. */
  resetPassword(input: { username: string }): Promise<void> {
    return this.#load().then((auth) => auth.resetPassword(input));
  }

  /** Sets a new password with the reset code. */
  confirmResetPassword(input: { username: string; code: string; newPassword: string }): Promise<void> {
    return this.#load().then((auth) => auth.confirmResetPassword(input));
  }

  /** `signIn({ username, password })`: a user-pool sign-in, the client signed in as the user's identity once DONE. */
  protected userPoolSignIn(input: UserPoolSignIn): Promise<UserPoolSignInResult> {
    return this.#load()
      .then((auth) => auth.signIn({ username: input.username, password: input.password }))
      .then((result) => this.#keep(result));
  }

  /** Keeps the user-pool tokens in `devices` (the device database), so a restarted app renews with them. */
  protected keepUserPoolTokensIn(devices: DeviceStore): void {
    this.#devices = devices;
  }

  /**
   * The logins of the user-pool session kept for `identityId` (a restarted app whose token must be
   * renewed): loads the user-pool calls and renews the ID token first once expired. Undefined when
   * none is kept for that identity.
   */
  protected async storedUserPoolLogins(identityId: string): Promise<Login[] | undefined> {
    const stored = (await this.#devices?.update((state) => state))?.userPool;
    if (!stored || stored.identityId !== identityId) return undefined;
    const auth = await this.#load();
    auth.resume(tokensOf(stored));
    return auth.logins();
  }

  /** A completed sign-in's tokens go to the device, under the identity they signed in as. */
  async #keep(result: UserPoolSignInResult): Promise<UserPoolSignInResult> {
    if (result.step === "DONE") await this.#store({ identityId: result.session.identityId, ...result.tokens });
    return result;
  }

  /** Stores the user-pool session (null: forgets it); a refresh keeps the identity it had. */
  async #store(session: (UserPoolTokens & { identityId?: string }) | null): Promise<void> {
    await this.#devices
      ?.update((state) => {
        const identityId = session?.identityId ?? state.userPool?.identityId;
        return { ...state, userPool: session === null || identityId === undefined ? null : { ...session, identityId } };
      })
      // Before the device's first sign-in there is nothing to keep or forget.
      .catch(() => undefined);
  }

  /**
   * Revokes and forgets the user's tokens, those kept on the device included, if a user signed in
   * through the pool; loads the user-pool calls only then.
   */
  protected async forgetUserPoolTokens(): Promise<void> {
    const stored = (await this.#devices?.update((state) => state).catch(() => undefined))?.userPool;
    if (!this.#auth && !stored) return;
    const auth = await this.#load().catch(() => null);
    if (stored && auth) auth.resume(tokensOf(stored));
    await auth?.forgetTokens();
    await this.#store(null);
  }

  #load(): Promise<UserPoolAuth> {
    this.#auth ??= import("./user-pool/user-pool-auth.js").then(({ userPoolAuth }) => {
      const pool = this.#options.userPool ?? {};
      return userPoolAuth(this, {
        endpoint: pool.endpoint ?? serverOrigin(this.#options.endpoint),
        userPoolId: pool.userPoolId ?? "local_default",
        clientId: pool.clientId ?? "default",
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
        ...(this.#options.now ? { now: this.#options.now } : {}),
        // Not awaited by the refresh: keeping the tokens on the device must not delay the request.
        onTokens: (tokens) => void this.#store(tokens),
      });
    });
    // A failed load (offline before the chunk arrived) is tried again on the next call.
    this.#auth.catch(() => {
      this.#auth = null;
    });
    return this.#auth;
  }
}
