/**
 * The device-level database, `syncpool:device:<identityPoolId>`: this device's id and the guest
 * identity it created, so the same device stays the same identity across app restarts and can
 * sign in while offline. One row, id `device`.
 */
import { Dexie, type Table } from "dexie";
import { dexieOptions, type IndexedDbDependencies } from "./identity-db.js";

/** The identity this device last signed in as. */
export interface StoredIdentity {
  identityId: string;
  /** Present for guests: proves the guest on sign-in. */
  deviceSecret: string | null;
  /** True when the identity came from provider logins (re-sign-in needs the logins). */
  viaLogins: boolean;
  /** The last bearer token, so a restarted app does not sign in again before it expires. */
  token?: { value: string; expiresAt: number } | null;
}

/** A user-pool sign-in's tokens, kept so a restarted app renews the identity's session with them. */
export interface StoredUserPoolSession {
  /** The identity the user's ID token signed in as. */
  identityId: string;
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  /** Epoch ms the ID and access tokens expire. */
  expiresAt: number;
}

export interface DeviceState {
  id: "device";
  deviceId: string;
  /** The guest this device created or restored, kept for silent sign-in. */
  guest: StoredIdentity | null;
  /** The identity signed in now (a guest, or one from logins), null after sign-out. */
  current: StoredIdentity | null;
  /** The tokens of the user-pool user signed in (absent in devices stored before they were kept). */
  userPool?: StoredUserPoolSession | null;
}

class DeviceDb extends Dexie {
  state!: Table<DeviceState, string>;
  constructor(identityPoolId: string, deps: IndexedDbDependencies) {
    super(`syncpool:device:${identityPoolId}`, dexieOptions(deps));
    this.version(1).stores({ state: "id" });
  }
}

/** Reads and updates the device state. */
export class DeviceStore {
  readonly #db: DeviceDb;

  constructor(identityPoolId: string, deps: IndexedDbDependencies) {
    this.#db = new DeviceDb(identityPoolId, deps);
  }

  /** The device state, created with `newDeviceId()` (or `deviceId` when given) on first use. */
  async load(newDeviceId: () => string, deviceId?: string): Promise<DeviceState> {
    return this.#db.transaction("rw", this.#db.state, async () => {
      const existing = await this.#db.state.get("device");
      if (existing && (!deviceId || existing.deviceId === deviceId)) return existing;
      const state: DeviceState = {
        id: "device",
        deviceId: deviceId ?? newDeviceId(),
        guest: existing?.guest ?? null,
        current: existing?.current ?? null,
      };
      await this.#db.state.put(state);
      return state;
    });
  }

  /** Applies `change` to the stored state and returns the result. */
  async update(change: (state: DeviceState) => DeviceState): Promise<DeviceState> {
    return this.#db.transaction("rw", this.#db.state, async () => {
      const current = await this.#db.state.get("device");
      if (!current) throw new Error("device state missing: call load() first");
      const next = change(current);
      await this.#db.state.put(next);
      return next;
    });
  }

  close(): void {
    this.#db.close();
  }
}
