/**
 * `syncpool users export`: every user of a pool as JSON Lines (the format is `user-import-format.ts`
 * and docs/user-pools.md "Moving users"): a header, the pool's groups, then each user with its
 * attributes, status, groups, MFA settings and stored password hash. With an export passphrase the
 * SRP salt and verifier and the TOTP secret go too, re-sealed under it (`export-sealing.ts` says
 * why); without one they are left out, so users sign in once with their password
 * (USER_PASSWORD_AUTH) to get a verifier again, and set TOTP up again.
 */
import type { SecretBox } from "../secret-box.js";
import type { UserPoolStore } from "../storage/user-pool-store.js";
import { openVerifier } from "./credentials.js";
import { newExportSealer, type ExportSealer } from "./export-sealing.js";
import { openTotpSecret } from "./totp.js";
import type { UserPoolSettings } from "./user-pool-config.js";

/** What moving users needs of the server: storage, the master-key box, and the clock. */
export interface UserTransferDeps {
  store: UserPoolStore;
  box: SecretBox;
  now: () => number;
}

/** The pool users move out of or into. */
export interface TransferPool {
  settings: UserPoolSettings;
  srpPoolName: string;
}

/** The pool of `settings`, as transfers use it. */
export const transferPoolOf = (settings: UserPoolSettings): TransferPool => ({ settings, srpPoolName: settings.id.split("_")[1]! });

/** The context a secret of user `sub` is sealed with in an export. */
export const exportContext = (sub: string, purpose: "srp-verifier" | "totp-secret") => `${sub}:${purpose}`;

const PAGE = 100;

/** The export's lines (each without its newline), header first. */
export async function* exportUsers(deps: UserTransferDeps, pool: TransferPool, passphrase: string | null): AsyncGenerator<string> {
  const poolId = pool.settings.id;
  const sealer: ExportSealer | null = passphrase === null ? null : newExportSealer(passphrase);
  yield JSON.stringify({ syncpoolUsers: 1, pool: poolId, srpPoolName: pool.srpPoolName, exportedAt: new Date(deps.now()).toISOString(), sealing: sealer?.header ?? null });
  let after: string | null = null;
  do {
    const page = await deps.store.listGroups(poolId, after, PAGE);
    for (const group of page.items) yield JSON.stringify({ group: { name: group.groupName, description: group.description, roleArn: group.roleArn, precedence: group.precedence } });
    after = page.next;
  } while (after !== null);
  do {
    const page = await deps.store.listUsers(poolId, null, after, PAGE);
    for (const user of page.items) {
      const groups = (await deps.store.listUserGroups(poolId, user.sub)).map((group) => group.groupName);
      const totp = await deps.store.getTotp(poolId, user.sub);
      const hasVerifier = user.srpVerifier !== "";
      const password = {
        kind: "syncpool",
        hash: user.passwordHash,
        ...(sealer !== null && hasVerifier ? { srp: { salt: user.srpSalt, verifier: sealer.seal(openVerifier(deps, user).toString(16), exportContext(user.sub, "srp-verifier")) } } : {}),
      };
      const mfa =
        totp === null || totp.secret === null
          ? null
          : {
              ...(sealer === null ? {} : { totpSecret: sealer.seal(openTotpSecret(deps, poolId, user.sub, totp.secret), exportContext(user.sub, "totp-secret")) }),
              deviceName: totp.deviceName,
              enabled: totp.enabled,
              preferred: totp.preferred,
            };
      yield JSON.stringify({
        user: { username: user.username, sub: user.sub, status: user.status, enabled: user.enabled, createdAt: user.createdAt, updatedAt: user.updatedAt, attributes: user.attributes, groups, password, mfa },
      });
    }
    after = page.next;
  } while (after !== null);
}
