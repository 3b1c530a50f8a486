/**
 * Sign-up and sign-in against syncpool's own user pool for apps not on Amplify
 * (`syncpool/client/user-pool`, and the client's own `signUp`/`signIn({ username, password })`,
 * which load this module when first called). It speaks the pool's Cognito JSON API with
 * USER_PASSWORD_AUTH (the password goes over TLS to the server, which hashes it with argon2id; SRP
 * would need big-int math in the browser bundle), and hands the ID token to
 * `client.signIn({ logins })` under the key the linked identity pool trusts, so a guest on this
 * device becomes the user's identity the way any OIDC sign-in does (kept in place for a new login,
 * merged into the user's identity otherwise). The logins are a function: each time the client
 * renews its syncpool token it asks for the ID token, which is first renewed with the refresh token
 * (REFRESH_TOKEN_AUTH) once expired; a refresh token the pool refuses (revoked, expired) signs the
 * client out.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { SignInOptions, SignInResult } from "../session.js";
import type { Login } from "../transport/transport.js";
import type { FetchFunction } from "../transport/graphql-transport.js";
import { callUserPool, UserPoolError } from "../transport/user-pool-call.js";

/** What signs the client in and out: `SyncClient` satisfies it. */
export interface SignsIn {
  signIn(options: SignInOptions): Promise<SignInResult>;
  signOut(): Promise<void>;
}

export interface UserPoolAuthOptions {
  /** The syncpool server's origin (the user-pool API is under `/aws/cognito-idp`). */
  endpoint: string;
  /** The user pool, e.g. `local_default`. */
  userPoolId: string;
  /** The pool's app client (`default` unless configured otherwise). */
  clientId: string;
  fetch?: FetchFunction;
  /** Wall clock, epoch ms, that token expiry is judged by (tests). Default `Date.now`. */
  now?: () => number;
  /** Hears the tokens a refresh renewed, and null when they are forgotten (sign-out, refused refresh). */
  onTokens?: (tokens: UserPoolTokens | null) => void;
}

/** The MFA kinds a sign-in may ask for, by their Cognito challenge names. */
export type MfaType = "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP" | "SMS_MFA";

/** The user pool's tokens after a completed sign-in. */
export interface UserPoolTokens {
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  /** Epoch ms the ID and access tokens expire. */
  expiresAt: number;
}

/** What `signIn` / `confirmSignIn` resolve to: done (signed in to syncpool too), or the step to answer next. */
export type UserPoolSignInResult =
  | { step: "DONE"; tokens: UserPoolTokens; session: SignInResult }
  | { step: "CONFIRM_SIGN_IN_WITH_TOTP_CODE" | "CONFIRM_SIGN_IN_WITH_EMAIL_CODE" | "CONFIRM_SIGN_IN_WITH_SMS_CODE"; destination: string | null }
  | { step: "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"; allowedMfaTypes: MfaType[] };

const CODE_ANSWERS: Record<MfaType, { key: string; step: "CONFIRM_SIGN_IN_WITH_TOTP_CODE" | "CONFIRM_SIGN_IN_WITH_EMAIL_CODE" | "CONFIRM_SIGN_IN_WITH_SMS_CODE" }> = {
  SOFTWARE_TOKEN_MFA: { key: "SOFTWARE_TOKEN_MFA_CODE", step: "CONFIRM_SIGN_IN_WITH_TOTP_CODE" },
  EMAIL_OTP: { key: "EMAIL_OTP_CODE", step: "CONFIRM_SIGN_IN_WITH_EMAIL_CODE" },
  SMS_MFA: { key: "SMS_MFA_CODE", step: "CONFIRM_SIGN_IN_WITH_SMS_CODE" },
};

/** Renew the ID token this long before it expires, so it is still good when the server reads it. */
const EXPIRY_MARGIN_MS = 60_000;

/** The refusals of a refresh token that no retry can change: the user must sign in again. */
const SESSION_ENDED = new Set(["NotAuthorizedException", "RefreshTokenReuseException", "UserNotFoundException"]);

/** A challenge the pool asked and this client has not answered yet. */
interface PendingChallenge {
  name: string;
  session: string;
  username: string;
}

/** Creates the user-pool calls for `client`. */
export function userPoolAuth(client: SignsIn, options: UserPoolAuthOptions): UserPoolAuth {
  return new UserPoolAuth(client, options);
}

/** See the module comment. Every refusal is a `UserPoolError` whose `code` is Cognito's exception name. */
export class UserPoolAuth {
  #pending: PendingChallenge | null = null;
  #tokens: UserPoolTokens | null = null;
  #refreshing: Promise<UserPoolTokens> | null = null;
  readonly #fetch: FetchFunction;
  readonly #now: () => number;

  constructor(
    private readonly client: SignsIn,
    private readonly options: UserPoolAuthOptions,
  ) {
    this.#fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#now = options.now ?? Date.now;
  }

  /** The tokens of the user signed in, or null before sign-in and after sign-out. */
  get tokens(): UserPoolTokens | null {
    return this.#tokens;
  }

  /** Takes up tokens kept from an earlier sign-in (a restarted app), unless a user is signed in here. */
  resume(tokens: UserPoolTokens): void {
    this.#tokens ??= tokens;
  }

  /** The key the identity pool linked to this user pool trusts its ID tokens under. */
  get loginProvider(): string {
    return `cognito-idp.${this.options.userPoolId.split("_")[0]}.amazonaws.com/${this.options.userPoolId}`;
  }

  /** Registers a user; unless the pool confirms it at once, a code is sent for `confirmSignUp`. */
  async signUp(input: { username: string; password: string; attributes?: Record<string, string> }): Promise<{ userConfirmed: boolean; userSub: string }> {
    const attributes = Object.entries(input.attributes ?? {}).map(([Name, Value]) => ({ Name, Value }));
    const answer = await this.#call("SignUp", { Username: input.username, Password: input.password, UserAttributes: attributes });
    return { userConfirmed: answer["UserConfirmed"] === true, userSub: String(answer["UserSub"]) };
  }

  /** Confirms a sign-up with the code the user received. */
  async confirmSignUp(input: { username: string; code: string }): Promise<void> {
    await this.#call("ConfirmSignUp", { Username: input.username, ConfirmationCode: input.code });
  }

  /** Sends the sign-up code again. */
  async resendSignUpCode(input: { username: string }): Promise<void> {
    await this.#call("ResendConfirmationCode", { Username: input.username });
  }

  /** Starts a password reset: a code goes to the user's verified email or phone. */
  async resetPassword(input: { username: string }): Promise<void> {
    await this.#call("ForgotPassword", { Username: input.username });
  }

  /** Sets a new password with the reset code. */
  async confirmResetPassword(input: { username: string; code: string; newPassword: string }): Promise<void> {
    await this.#call("ConfirmForgotPassword", { Username: input.username, ConfirmationCode: input.code, Password: input.newPassword });
  }

  /**
   * Signs in with a password. When MFA is required the result names the next step, answered with
   * `confirmSignIn`; once done the client is signed in to syncpool as the user's identity.
   */
  async signIn(input: { username: string; password: string }): Promise<UserPoolSignInResult> {
    this.#pending = null;
    const answer = await this.#call("InitiateAuth", { AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: input.username, PASSWORD: input.password } });
    return this.#next(answer, input.username);
  }

  /** Answers the step `signIn` named: `{ code }` for a code, `{ mfaType }` to choose the MFA kind. */
  async confirmSignIn(input: { code: string } | { mfaType: MfaType }): Promise<UserPoolSignInResult> {
    const pending = this.#pending;
    if (!pending) throw new UserPoolError("InvalidParameterException", "no sign-in step is waiting for an answer: call signIn() first");
    const responses: Record<string, string> = { USERNAME: pending.username };
    if ("mfaType" in input) {
      if (pending.name !== "SELECT_MFA_TYPE") throw new UserPoolError("InvalidParameterException", `the sign-in waits for a code (${pending.name}), not an MFA choice`);
      responses["ANSWER"] = input.mfaType;
    } else {
      const answer = CODE_ANSWERS[pending.name as MfaType];
      if (!answer) throw new UserPoolError("InvalidParameterException", `the sign-in waits for an MFA choice (${pending.name}), not a code`);
      responses[answer.key] = input.code;
    }
    const answer = await this.#call("RespondToAuthChallenge", { ChallengeName: pending.name, Session: pending.session, ChallengeResponses: responses });
    return this.#next(answer, pending.username);
  }

  /**
   * New ID and access tokens from the refresh token (REFRESH_TOKEN_AUTH). The client calls it by
   * itself when the ID token it needs has expired. A refusal that no retry changes (revoked,
   * expired, reused) forgets the tokens, signs the client out and rejects with UNAUTHENTICATED;
   * a NetworkError keeps them for the next try.
   */
  refresh(): Promise<UserPoolTokens> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /**
   * Revokes the refresh token at the pool (RevokeToken, which also ends the access tokens it
   * issued) and forgets the tokens; the client stays signed in until its own `signOut()`. Offline,
   * the tokens are only forgotten.
   */
  async forgetTokens(): Promise<void> {
    const refreshToken = this.#tokens?.refreshToken ?? null;
    this.#tokens = null;
    this.#pending = null;
    this.options.onTokens?.(null);
    if (refreshToken === null) return;
    await this.#call("RevokeToken", { Token: refreshToken }).catch(() => undefined);
  }

  /** Signs out of the user pool (`forgetTokens`) and the client. */
  async signOut(): Promise<void> {
    await this.forgetTokens();
    await this.client.signOut();
  }

  async #refresh(): Promise<UserPoolTokens> {
    const held = this.#tokens;
    if (held?.refreshToken == null) throw new SyncpoolError("UNAUTHENTICATED", "not signed in to the user pool: sign in again");
    let answer: Record<string, unknown>;
    try {
      answer = await this.#call("InitiateAuth", { AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: held.refreshToken } });
    } catch (error) {
      if (!(error instanceof UserPoolError) || !SESSION_ENDED.has(error.code)) throw error;
      if (this.#tokens === held) {
        this.#tokens = null;
        this.options.onTokens?.(null);
        // Not awaited: this runs inside a request of the client, which signing out ends.
        void this.client.signOut().catch(() => undefined);
      }
      throw new SyncpoolError("UNAUTHENTICATED", `the user pool refused the refresh token (${error.message}): sign in again`, { reason: error.code });
    }
    const tokens = this.#tokensOf(answer["AuthenticationResult"] as Record<string, unknown>, held.refreshToken);
    // A sign-out or another sign-in meanwhile wins over this answer.
    if (this.#tokens === held) {
      this.#tokens = tokens;
      this.options.onTokens?.(tokens);
    }
    return tokens;
  }

  /** The logins the client signs in and renews its token with: the ID token, renewed first once expired. */
  async logins(): Promise<Login[]> {
    let tokens = this.#tokens;
    if (tokens === null) throw new SyncpoolError("UNAUTHENTICATED", "signed out of the user pool: sign in again");
    if (tokens.expiresAt - EXPIRY_MARGIN_MS <= this.#now()) tokens = await this.refresh();
    return [{ provider: this.loginProvider, token: tokens.idToken }];
  }

  #tokensOf(result: Record<string, unknown>, refreshToken: string | null): UserPoolTokens {
    return {
      idToken: String(result["IdToken"]),
      accessToken: String(result["AccessToken"]),
      // Without rotation a refresh answer carries no refresh token: the one presented stays good.
      refreshToken: typeof result["RefreshToken"] === "string" ? result["RefreshToken"] : refreshToken,
      expiresAt: this.#now() + Number(result["ExpiresIn"] ?? 3600) * 1000,
    };
  }

  async #next(answer: Record<string, unknown>, username: string): Promise<UserPoolSignInResult> {
    const result = answer["AuthenticationResult"] as Record<string, unknown> | undefined;
    if (result) {
      this.#pending = null;
      const tokens = this.#tokensOf(result, null);
      this.#tokens = tokens;
      const session = await this.client.signIn({ logins: () => this.logins() });
      return { step: "DONE", tokens, session };
    }
    const name = String(answer["ChallengeName"]);
    const parameters = (answer["ChallengeParameters"] ?? {}) as Record<string, string>;
    this.#pending = { name, session: String(answer["Session"]), username: parameters["USER_ID_FOR_SRP"] ?? username };
    if (name === "SELECT_MFA_TYPE") {
      return { step: "CONTINUE_SIGN_IN_WITH_MFA_SELECTION", allowedMfaTypes: JSON.parse(parameters["MFAS_CAN_CHOOSE"] ?? "[]") as MfaType[] };
    }
    const code = CODE_ANSWERS[name as MfaType];
    if (!code) {
      this.#pending = null;
      throw new UserPoolError("UnsupportedChallengeException", `the user pool asked for ${name}, which this client does not answer`);
    }
    return { step: code.step, destination: parameters["CODE_DELIVERY_DESTINATION"] ?? null };
  }

  #call(operation: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return callUserPool(this.#fetch, this.options.endpoint, operation, { ClientId: this.options.clientId, ...body });
  }
}
