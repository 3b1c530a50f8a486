/**
 * `syncpool users import`: reads an export of this server (`user-export.ts`) or a file written by
 * hand from another system, into a pool. Users keep their `sub`, attributes, status, groups and
 * password: this server's argon2id hash as is, a foreign hash (`foreign-hashes.ts`) until the
 * user's next password sign-in rehashes it. The SRP verifier comes along only when the export was
 * sealed with a passphrase given here and was made for the same SRP pool name (the verifier is
 * bound to it); a user without one answers SRP sign-ins with PasswordResetRequiredException until a
 * USER_PASSWORD_AUTH sign-in makes one. A user without a password is RESET_REQUIRED.
 *
 * Each line stands alone: a bad line or a username the pool already has is reported and skipped,
 * the rest is imported. A wrong passphrase stops the import before anything is written.
 */
import { randomUUID } from "node:crypto";
import type { UserPoolUserStatus } from "../storage/user-pool-store.js";
import { sealVerifier } from "./credentials.js";
import { openExportSealer, type ExportSealer } from "./export-sealing.js";
import { isForeignHash, storedForeignHash } from "./foreign-hashes.js";
import { sealTotpSecret } from "./totp.js";
import { exportContext, type TransferPool, type UserTransferDeps } from "./user-export.js";
import { groupLineSchema, headerLineSchema, userLineSchema, type UserLine } from "./user-import-format.js";

/** What an import did. */
export interface ImportSummary {
  imported: number;
  groupsCreated: number;
  /** Lines not imported, with why (1-based line numbers). */
  skipped: { line: number; username?: string; reason: string }[];
  /** Users imported without an SRP verifier (they sign in once by password, or reset). */
  withoutSrpVerifier: number;
}

/** Thrown for a file that cannot be imported at all (no header, a wrong passphrase). */
export class ImportError extends Error {
  override readonly name = "ImportError";
}

/** Imports `lines` (the file's lines, header first) into `pool`. */
export async function importUsers(deps: UserTransferDeps, pool: TransferPool, lines: AsyncIterable<string>, passphrase: string | null): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, groupsCreated: 0, skipped: [], withoutSrpVerifier: 0 };
  let sealer: ExportSealer | null = null;
  let verifiersFit = false;
  let lineNumber = 0;
  let headerSeen = false;
  for await (const text of lines) {
    lineNumber++;
    if (text.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (!headerSeen) throw new ImportError("line 1 is not JSON: expected the header line");
      summary.skipped.push({ line: lineNumber, reason: "not JSON" });
      continue;
    }
    if (!headerSeen) {
      const header = headerLineSchema.safeParse(json);
      if (!header.success) throw new ImportError(`line ${lineNumber} is not a header ({"syncpoolUsers":1,...}): ${header.error.issues[0]?.message}`);
      headerSeen = true;
      if (header.data.sealing !== null && passphrase !== null) {
        sealer = openExportSealer(header.data.sealing, passphrase);
        if (sealer === null) throw new ImportError("the passphrase does not open this export's secrets");
      }
      verifiersFit = header.data.srpPoolName === pool.srpPoolName;
      continue;
    }
    const group = groupLineSchema.safeParse(json);
    if (group.success) {
      const { name, description, roleArn, precedence } = group.data.group;
      const now = deps.now();
      if (await deps.store.createGroup({ poolId: pool.settings.id, groupName: name, description, roleArn, precedence, createdAt: now, updatedAt: now })) summary.groupsCreated++;
      continue;
    }
    const user = userLineSchema.safeParse(json);
    if (!user.success) {
      const issue = user.error.issues[0];
      summary.skipped.push({ line: lineNumber, reason: `${issue?.path.join(".")}: ${issue?.message}` });
      continue;
    }
    const reason = await importUser(deps, pool, user.data.user, verifiersFit ? sealer : null, sealer);
    if (reason === null) {
      summary.imported++;
      const password = user.data.user.password;
      if (password?.kind !== "syncpool" || password.srp === undefined || !verifiersFit || sealer === null) summary.withoutSrpVerifier++;
    } else summary.skipped.push({ line: lineNumber, username: user.data.user.username, reason });
  }
  if (!headerSeen) throw new ImportError("the file is empty: expected a header line");
  return summary;
}

/** Stores one user; returns why not, or null. */
async function importUser(deps: UserTransferDeps, pool: TransferPool, line: UserLine, verifierSealer: ExportSealer | null, secretSealer: ExportSealer | null): Promise<string | null> {
  const poolId = pool.settings.id;
  const sub = line.sub ?? randomUUID();
  const now = deps.now();
  let passwordHash = "";
  let srpSalt = "";
  let srpVerifier = "";
  let status: UserPoolUserStatus = line.status;
  const password = line.password;
  if (password === undefined) status = "RESET_REQUIRED";
  else if (password.kind === "syncpool") {
    if (!password.hash.startsWith("$argon2") && !isForeignHash(password.hash)) return "password.hash: not a hash this server can verify";
    passwordHash = password.hash;
    if (password.srp !== undefined && verifierSealer !== null) {
      try {
        srpVerifier = sealVerifier(deps, poolId, sub, verifierSealer.open(password.srp.verifier, exportContext(line.sub ?? "", "srp-verifier")));
        srpSalt = password.srp.salt;
      } catch {
        return "password.srp.verifier: does not open with the passphrase (was the line edited?)";
      }
    }
  } else passwordHash = storedForeignHash(password);
  let totpSecret: string | null = null;
  if (line.mfa?.totpSecret !== undefined && secretSealer !== null) {
    try {
      totpSecret = sealTotpSecret(deps, poolId, sub, secretSealer.open(line.mfa.totpSecret, exportContext(line.sub ?? "", "totp-secret")));
    } catch {
      return "mfa.totpSecret: does not open with the passphrase (was the line edited?)";
    }
  }
  const user = { poolId, username: line.username, sub, status, enabled: line.enabled, passwordHash, srpSalt, srpVerifier, createdAt: line.createdAt ?? now, updatedAt: line.updatedAt ?? now };
  let created: boolean;
  try {
    created = await deps.store.createUser(user, line.attributes);
  } catch {
    return `sub ${sub} belongs to another user of the pool`;
  }
  if (!created) return "the pool already has a user of this username";
  for (const groupName of line.groups) {
    if ((await deps.store.getGroup(poolId, groupName)) === null) {
      await deps.store.createGroup({ poolId, groupName, description: null, roleArn: null, precedence: null, createdAt: now, updatedAt: now });
    }
    await deps.store.addGroupMember(poolId, groupName, sub, now);
  }
  if (totpSecret !== null && line.mfa !== null) {
    await deps.store.saveTotp({ poolId, sub, secret: totpSecret, pendingSecret: null, deviceName: line.mfa.deviceName, enabled: line.mfa.enabled, preferred: line.mfa.preferred, lastStep: null, updatedAt: now });
  }
  return null;
}
