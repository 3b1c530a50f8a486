/**
 * `syncpool users …`: a pool's users from the command line, on the database the server uses (named
 * by the same settings as `syncpool serve`: --data-dir / DATABASE_URL / SYNCPOOL_MASTER_KEY, and
 * --config for pools other than local_default). Needs no running server; never migrates.
 *
 *   syncpool users list --pool local_default [--filter 'email ^= "a"']     # one JSON line per user
 *   syncpool users create --pool local_default --username bob [--email bob@example.com] [--password-file pw.txt --permanent]
 *   syncpool users disable|enable|delete --pool local_default bob
 *   syncpool users export --pool local_default [--passphrase-file pass.txt] > users.jsonl
 *   syncpool users import --pool local_default [--passphrase-file pass.txt] users.jsonl   # or - for stdin
 *
 * `create` prints the user, with the generated temporary password when no password file is given;
 * `disable` also ends the user's sessions. Export and import are `user-export.ts` and `user-import.ts`.
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { failCommand as fail, openCommandStorage } from "../cli-storage.js";
import { createSecretBox, loadMasterKey } from "../secret-box.js";
import { temporaryPassword } from "./admin-users.js";
import { parseUserFilter } from "./admin-users-list.js";
import { makeCredentials } from "./credentials.js";
import { checkPasswordPolicy } from "./passwords.js";
import { exportUsers, transferPoolOf, type TransferPool, type UserTransferDeps } from "./user-export.js";
import { ImportError, importUsers } from "./user-import.js";
import { UserPoolError } from "./user-pool-errors.js";

interface UsersFlags {
  pool: string;
  dataDir?: string;
  config?: string;
}

const withCommonOptions = (command: Command) =>
  command
    .requiredOption("--pool <id>", "the user pool, e.g. local_default")
    .option("--data-dir <dir>", "the server's data directory (env SYNCPOOL_DATA_DIR, default ./.syncpool)")
    .option("--config <file>", "the server's JSON config file, for pools it declares (env SYNCPOOL_CONFIG)");

/** Adds the `users` commands to the `syncpool` program. */
export function registerUsersCommands(program: Command): void {
  const users = program.command("users").description("list, create, disable, enable, delete, export and import a user pool's users");
  withCommonOptions(users.command("list").description("print the pool's users, one JSON line each"))
    .option("--filter <filter>", `Cognito's ListUsers filter, e.g. 'email ^= "a"'`)
    .action((flags: UsersFlags & { filter?: string }) => withPool(flags, (deps, pool) => listCommand(deps, pool, flags.filter)));
  withCommonOptions(users.command("create").description("create a user who must choose a new password at first sign-in (or a permanent one)"))
    .requiredOption("--username <name>", "the username")
    .option("--email <address>", "the user's email, marked verified")
    .option("--password-file <file>", "read the password from this file (default: a generated temporary password, printed)")
    .option("--permanent", "the password is the user's own (CONFIRMED), not temporary")
    .action((flags: UsersFlags & { username: string; email?: string; passwordFile?: string; permanent?: boolean }) => withPool(flags, (deps, pool) => createCommand(deps, pool, flags)));
  for (const [name, description] of [
    ["disable", "refuse the user's sign-ins and end its sessions"],
    ["enable", "let a disabled user sign in again"],
    ["delete", "delete the user and everything of it"],
  ] as const) {
    withCommonOptions(users.command(name).description(description))
      .argument("<username>")
      .action((username: string, flags: UsersFlags) => withPool(flags, (deps, pool) => changeCommand(deps, pool, name, username)));
  }
  withCommonOptions(users.command("export").description("write every user, with password hashes, as JSON Lines to stdout"))
    .option("--passphrase-file <file>", "seal SRP verifiers and TOTP secrets under this passphrase (without it they are left out)")
    .action((flags: UsersFlags & { passphraseFile?: string }) =>
      withPool(flags, async (deps, pool) => {
        for await (const line of exportUsers(deps, pool, await passphraseOf(flags.passphraseFile))) process.stdout.write(`${line}\n`);
      }),
    );
  withCommonOptions(users.command("import").description("read users from an export or a file of foreign hashes (JSON Lines)"))
    .argument("<file>", "the file, or - for stdin")
    .option("--passphrase-file <file>", "the passphrase the export was sealed with")
    .action((file: string, flags: UsersFlags & { passphraseFile?: string }) =>
      withPool(flags, async (deps, pool) => {
        const passphrase = await passphraseOf(flags.passphraseFile);
        // Made just before reading: lines a readline interface emits before it is iterated are lost.
        const lines = createInterface({ input: file === "-" ? process.stdin : createReadStream(file), crlfDelay: Infinity });
        try {
          const summary = await importUsers(deps, pool, lines, passphrase);
          process.stdout.write(`${JSON.stringify(summary)}\n`);
          if (summary.skipped.length > 0) process.exitCode = 1;
        } catch (error) {
          if (!(error instanceof ImportError)) throw error;
          fail(`users import: ${error.message}`);
        }
      }),
    );
}

const passphraseOf = async (file: string | undefined) => (file === undefined ? null : (await readFile(file, "utf8")).replace(/\r?\n$/, ""));

/** Opens the storage and the pool, runs `body`, closes; reports a configuration or pool mistake plainly. */
async function withPool(flags: UsersFlags, body: (deps: UserTransferDeps, pool: TransferPool) => Promise<void>): Promise<void> {
  const opened = await openCommandStorage({ dataDir: flags.dataDir, configFile: flags.config });
  if (!opened) return;
  const { config, storage } = opened;
  try {
    const settings = config.userPools.pools.find((pool) => pool.id === flags.pool);
    if (settings === undefined) return fail(`no user pool "${flags.pool}" in this configuration (pools: ${config.userPools.pools.map((pool) => pool.id).join(", ")})`);
    // Before reading the master key: on SQLite that would create a key file nothing was sealed with.
    if ((await storage.keys.serverKeyGeneration().catch(() => 0)) === 0) return fail("this database has not been set up yet: start `syncpool serve` on it once first");
    const box = createSecretBox(await loadMasterKey(config.dataDir, config.masterKey));
    await body({ store: storage.userPools, box, now: Date.now }, transferPoolOf(settings));
  } catch (error) {
    if (!(error instanceof UserPoolError)) throw error;
    fail(`${error.type}: ${error.message}`);
  } finally {
    await storage.close();
  }
}

async function listCommand(deps: UserTransferDeps, pool: TransferPool, filterText: string | undefined): Promise<void> {
  const filter = parseUserFilter(filterText);
  let after: string | null = null;
  do {
    const page = await deps.store.listUsers(pool.settings.id, filter, after, 100);
    for (const user of page.items) {
      const { username, sub, status, enabled, attributes, createdAt } = user;
      process.stdout.write(`${JSON.stringify({ username, sub, status, enabled, attributes, createdAt: new Date(createdAt).toISOString() })}\n`);
    }
    after = page.next;
  } while (after !== null);
}

async function createCommand(deps: UserTransferDeps, pool: TransferPool, flags: { username: string; email?: string; passwordFile?: string; permanent?: boolean }): Promise<void> {
  if (flags.permanent && flags.passwordFile === undefined) return fail("users create: --permanent needs --password-file");
  const generated = flags.passwordFile === undefined ? temporaryPassword(pool) : null;
  const password = generated ?? (await passphraseOf(flags.passwordFile))!;
  checkPasswordPolicy(pool.settings.passwordPolicy, password);
  const sub = randomUUID();
  const now = deps.now();
  const status = flags.permanent ? "CONFIRMED" : "FORCE_CHANGE_PASSWORD";
  const attributes: Record<string, string> = flags.email === undefined ? {} : { email: flags.email, email_verified: "true" };
  const credentials = await makeCredentials(deps, pool, flags.username, sub, password);
  if (!(await deps.store.createUser({ poolId: pool.settings.id, username: flags.username, sub, status, enabled: true, ...credentials, createdAt: now, updatedAt: now }, attributes))) {
    return fail(`users create: the pool already has a user "${flags.username}"`);
  }
  process.stdout.write(`${JSON.stringify({ username: flags.username, sub, status, ...(generated === null ? {} : { temporaryPassword: generated }) })}\n`);
}

async function changeCommand(deps: UserTransferDeps, pool: TransferPool, change: "disable" | "enable" | "delete", username: string): Promise<void> {
  const user = await deps.store.getUser(pool.settings.id, username);
  if (user === null) return fail(`users ${change}: no user "${username}" in ${pool.settings.id}`);
  const now = deps.now();
  if (change === "delete") await deps.store.deleteUser(pool.settings.id, user.sub);
  else {
    await deps.store.updateUser(pool.settings.id, user.sub, { enabled: change === "enable", updatedAt: now });
    if (change === "disable") await deps.store.revokeUserSessions(pool.settings.id, user.sub, now);
  }
  process.stdout.write(`${JSON.stringify({ username, [`${change}d`]: true })}\n`);
}
