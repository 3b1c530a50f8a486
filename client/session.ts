/**
 * Who the client is and its bearer token. Sign-in is offline-first: a device that already holds
 * an identity (a guest's id and secret, or the identity its logins resolved to) signs in without
 * the network, and the token is fetched on the first request that needs it. An expired or
 * refused token is renewed silently (guest secret or logins) and the request retried once.
 */
import { SyncpoolError } from "../core/errors.js";
import type { Limits } from "../core/types.js";
import type { DeviceStore, StoredIdentity } from "./store/device-db.js";
import { decodeTransferCode, encodeTransferCode } from "./transfer-code.js";
import { isNetworkError } from "./transport/network-error.js";
import type { Login, Transport } from "./transport/transport.js";

/** What the app passes to `signIn`. */
export interface SignInOptions {
  /**
   * Provider logins, or a function returning fresh ones (called now and whenever the token is
   * renewed, until sign-out); the identity they belong to is used (a guest on this device keeps
   * its identity when the login is new to the pool, and merges into the login's identity otherwise).
   */
  logins?: LoginsSource;
  /**
   * Restore a guest created on another device: its id and secret, exactly as another device's
   * `signIn()` returned them (a null secret is refused at run time: only guests have one).
   */
  identityId?: string;
  deviceSecret?: string | null;
  /** Restore a guest from `client.transferCode()` of another device (a bearer credential). */
  transferCode?: string;
}

/** What `signIn` resolves to. `deviceSecret` is set for guests only. */
export interface SignInResult {
  identityId: string;
  deviceSecret: string | null;
  /** Identities merged into this one by this sign-in (only when it reached the server). */
  mergedIdentityIds: string[];
}

/** Where logins come from when the token must be renewed: fixed, or asked for each time. */
export type LoginsSource = Login[] | (() => Login[] | Promise<Login[]>);

export interface SessionOptions {
  identityPoolId: string;
  transport: Transport;
  devices: DeviceStore;
  logins?: LoginsSource;
  now: () => number;
  /** Hears the pool's limits from every sign-in answer that carries them. */
  onLimits?: (limits: Limits) => void;
  /**
   * Logins kept on the device for an identity from logins, asked when its token must be renewed
   * and no logins were given (an app restarted since the sign-in); undefined when none are kept.
   */
  restoreLogins?: (identityId: string) => Promise<Login[] | undefined>;
}

/** Renew a token this long before it expires. */
const EXPIRY_MARGIN_MS = 30_000;

export class Session {
  #identity: StoredIdentity | null = null;
  #token: { value: string; expiresAt: number } | null = null;
  #renewing: Promise<string> | null = null;
  #logins: LoginsSource | undefined;
  readonly #options: SessionOptions;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#logins = options.logins;
  }

  /** The identity signed in, or null. */
  get identity(): StoredIdentity | null {
    return this.#identity;
  }

  /**
   * Signs in (see the module comment). With logins or a transfer code the server is asked; a
   * NetworkError then falls back to the stored identity when it is the same one.
   */
  async signIn(options: SignInOptions = {}): Promise<SignInResult> {
    const device = await this.#options.devices.update((state) => state);
    if (options.logins) this.#logins = options.logins;
    const logins = await this.#currentLogins();

    if (options.transferCode !== undefined) {
      if (options.identityId || options.deviceSecret) {
        throw new SyncpoolError("BAD_USER_INPUT", "transferCode replaces identityId and deviceSecret", { field: "transferCode" });
      }
      const decoded = decodeTransferCode(options.transferCode);
      const guest: StoredIdentity = { ...decoded, viaLogins: false };
      return this.#signInOnline(guest, undefined, () => guest);
    }
    if (options.identityId || options.deviceSecret) {
      if (!options.identityId || !options.deviceSecret) {
        throw new SyncpoolError("BAD_USER_INPUT", "identityId and deviceSecret go together", { field: "deviceSecret" });
      }
      const guest: StoredIdentity = { identityId: options.identityId, deviceSecret: options.deviceSecret, viaLogins: false };
      return this.#signInOnline(guest, undefined, () => guest);
    }

    if (logins && logins.length > 0) {
      const guest = device.guest;
      return this.#signInOnline(guest, logins, () => {
        // Offline with logins: only the identity these logins resolved to last time will do.
        if (device.current?.viaLogins) return device.current;
        return null;
      });
    }

    const stored = device.current ?? device.guest;
    if (stored) {
      this.#adopt(stored, stored.token ?? null);
      await this.#remember(stored);
      return { identityId: stored.identityId, deviceSecret: stored.deviceSecret, mergedIdentityIds: [] };
    }
    // A new guest needs the server once.
    return this.#signInOnline(null, undefined, () => null);
  }

  /**
   * Forgets the session. `forgetGuest` (a wipe) also drops the stored guest and its secret. A
   * guest signing out without a wipe keeps its entry: the secret is its only way back in.
   */
  async signOut(forgetGuest: boolean): Promise<void> {
    const identity = this.#identity;
    this.#identity = null;
    this.#token = null;
    // Logins given to signIn() belonged to that sign-in; the client's own option stays.
    this.#logins = this.#options.logins;
    await this.#options.devices.update((state) => ({
      ...state,
      current: null,
      guest: forgetGuest && state.guest?.identityId === identity?.identityId ? null : state.guest,
    }));
  }

  /**
   * Calls `request` with a valid token. UNAUTHENTICATED (an expired or revoked token) renews the
   * token once and retries; a second refusal is returned to the caller.
   */
  async authed<T>(request: (token: string) => Promise<T>): Promise<T> {
    const token = await this.#validToken();
    try {
      return await request(token);
    } catch (error) {
      if (!(error instanceof SyncpoolError) || error.code !== "UNAUTHENTICATED") throw error;
      this.#token = null;
      return request(await this.#validToken());
    }
  }

  /** The signed-in guest's transfer code. @throws SyncpoolError FORBIDDEN for an identity from logins. */
  transferCode(): string {
    const identity = this.#identity;
    if (!identity || identity.viaLogins || !identity.deviceSecret) {
      throw new SyncpoolError("FORBIDDEN", "only a guest has a transfer code; sign in with the same login on the other device");
    }
    return encodeTransferCode(identity.identityId, identity.deviceSecret);
  }

  /** A valid token for the current identity (renewed silently when near expiry). */
  token(): Promise<string> {
    return this.#validToken();
  }

  /** Drops a token the server refused (expired by its clock, revoked) and gets a new one. */
  renewToken(): Promise<string> {
    this.#token = null;
    return this.#validToken();
  }

  async #validToken(): Promise<string> {
    if (!this.#identity) throw new SyncpoolError("UNAUTHENTICATED", "not signed in: call signIn() first");
    if (this.#token && this.#token.expiresAt - EXPIRY_MARGIN_MS > this.#options.now()) return this.#token.value;
    this.#renewing ??= this.#renew().finally(() => {
      this.#renewing = null;
    });
    return this.#renewing;
  }

  /** Gets a new token for the current identity, the way it was first proven. */
  async #renew(): Promise<string> {
    const identity = this.#identity as StoredIdentity;
    const input = identity.viaLogins
      ? {
          identityPoolId: this.#options.identityPoolId,
          logins: (await this.#currentLogins()) ?? (await this.#options.restoreLogins?.(identity.identityId)) ?? [],
        }
      : {
          identityPoolId: this.#options.identityPoolId,
          identityId: identity.identityId,
          deviceSecret: identity.deviceSecret ?? undefined,
        };
    if (identity.viaLogins && input.logins?.length === 0) {
      throw new SyncpoolError("UNAUTHENTICATED", "the session expired and no logins are available to renew it");
    }
    const session = await this.#options.transport.signIn(input);
    if (session.limits) this.#options.onLimits?.(session.limits);
    if (session.identityId !== identity.identityId) {
      throw new SyncpoolError("UNAUTHENTICATED", `signed in as ${session.identityId}, expected ${identity.identityId}`);
    }
    this.#token = { value: session.token, expiresAt: session.expiresAt };
    await this.#remember({ ...identity, token: this.#token });
    return session.token;
  }

  async #signInOnline(
    guest: StoredIdentity | null,
    logins: Login[] | undefined,
    offlineFallback: () => StoredIdentity | null,
  ): Promise<SignInResult> {
    let session;
    try {
      session = await this.#options.transport.signIn({
        identityPoolId: this.#options.identityPoolId,
        ...(guest ? { identityId: guest.identityId, deviceSecret: guest.deviceSecret ?? undefined } : {}),
        ...(logins ? { logins } : {}),
      });
    } catch (error) {
      const fallback = isNetworkError(error) ? offlineFallback() : null;
      if (!fallback) throw error;
      this.#adopt(fallback, fallback.token ?? null);
      await this.#remember(fallback);
      return { identityId: fallback.identityId, deviceSecret: fallback.deviceSecret, mergedIdentityIds: [] };
    }
    if (session.limits) this.#options.onLimits?.(session.limits);
    const viaLogins = Boolean(logins && logins.length > 0);
    const identity: StoredIdentity = viaLogins
      ? { identityId: session.identityId, deviceSecret: null, viaLogins }
      : { identityId: session.identityId, deviceSecret: session.deviceSecret ?? guest?.deviceSecret ?? null, viaLogins };
    const token = { value: session.token, expiresAt: session.expiresAt };
    this.#adopt(identity, token);
    await this.#remember({ ...identity, token });
    // A guest upgraded by a login (linked to it, or merged into its identity) is proven by the
    // login from now on; the server clears its secret at that first login, and a secret kept
    // on the device would only be something to steal. Forget the guest entry with its secret.
    if (guest && viaLogins && (session.identityId === guest.identityId || session.mergedIdentityIds.includes(guest.identityId))) {
      await this.#options.devices.update((state) => ({
        ...state,
        guest: state.guest?.identityId === guest.identityId ? null : state.guest,
      }));
    }
    return {
      identityId: identity.identityId,
      deviceSecret: identity.deviceSecret,
      mergedIdentityIds: session.mergedIdentityIds,
    };
  }

  #adopt(identity: StoredIdentity, token: { value: string; expiresAt: number } | null): void {
    this.#identity = identity;
    this.#token = token;
  }

  async #remember(identity: StoredIdentity): Promise<void> {
    await this.#options.devices.update((state) => ({
      ...state,
      current: identity,
      guest: identity.viaLogins ? state.guest : identity,
    }));
  }

  async #currentLogins(): Promise<Login[] | undefined> {
    const source = this.#logins;
    return typeof source === "function" ? source() : source;
  }
}
