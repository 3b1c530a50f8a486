/**
 * `syncpool keys rotate`: replaces the token signing key and the sync session secret with new
 * ones, keeping the previous ones for verification, in the database the server uses (named by the
 * same settings as `syncpool serve`: --data-dir / DATABASE_URL / SYNCPOOL_MASTER_KEY). Running
 * servers pick the new keys up within a second; tokens signed before keep working until they
 * expire. Needs no running server and no admin token: whoever can open the database and the master
 * key holds the keys anyway. It never migrates the database (the server's job at start).
 *
 * `syncpool keys show push-webhook` prints the push webhook secret (for the gateway that checks
 * signatures) and `syncpool keys show vapid` the VAPID public key, when the configuration does not
 * set them.
 *
 *   syncpool keys rotate      # prints {"rotated":[{"kind":"token-signing","keyId":"…"},…],"generation":7}
 *   syncpool keys show push-webhook
 */
import type { Command } from "commander";
import { failCommand as fail, openCommandStorage } from "../cli-storage.js";
import type { ServerConfig } from "../config.js";
import { createSecretBox, loadMasterKey } from "../secret-box.js";
import { silentLogger } from "../logger.js";
import type { Storage } from "../storage/storage.js";
import { resolvePushSecrets } from "../push/push-secrets.js";
import { openKeyRing, rotateServerKeys } from "./key-ring.js";

/** What `keys show` may print: secrets an operator must hand to someone else, nothing that signs tokens. */
const SHOWABLE = ["push-webhook", "vapid"] as const;

interface KeysFlags {
  dataDir?: string;
}

/** Adds the `keys` commands to the `syncpool` program. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command("keys").description("manage the server's signing keys and secrets");
  keys
    .command("rotate")
    .description("sign new tokens with a new key; tokens signed before stay valid until they expire")
    .option("--data-dir <dir>", "the server's data directory (env SYNCPOOL_DATA_DIR, default ./.syncpool)")
    .action((flags: KeysFlags) => rotateCommand(flags));
  keys
    .command("show")
    .description(`print the push webhook secret (push-webhook) or the VAPID public key (vapid)`)
    .argument("<kind>", SHOWABLE.join(" | "))
    .option("--data-dir <dir>", "the server's data directory (env SYNCPOOL_DATA_DIR, default ./.syncpool)")
    .action((kind: string, flags: KeysFlags) => showCommand(kind, flags));
}

async function showCommand(kind: string, flags: KeysFlags): Promise<void> {
  if (!(SHOWABLE as readonly string[]).includes(kind)) return fail(`keys show: expected one of ${SHOWABLE.join(", ")}`);
  await withKeyStorage(flags, async (storage, config) => {
    const box = createSecretBox(await loadMasterKey(config.dataDir, config.masterKey));
    const ring = await openKeyRing({ store: storage.keys, box, dataDir: config.dataDir, now: Date.now, logger: silentLogger(), pollMs: 0 });
    // What the server uses: the configured value where one is set, else the stored one.
    const secrets = resolvePushSecrets(ring.pushSecrets(), config.push);
    ring.close();
    process.stdout.write(`${kind === "vapid" ? secrets.vapidPublicKey : secrets.webhookSecret}\n`);
  });
}

async function rotateCommand(flags: KeysFlags): Promise<void> {
  await withKeyStorage(flags, async (storage, config) => {
    const box = createSecretBox(await loadMasterKey(config.dataDir, config.masterKey));
    const rotated = await rotateServerKeys(storage.keys, box, Date.now);
    const generation = Math.max(...rotated.map((row) => row.generation));
    process.stdout.write(`${JSON.stringify({ rotated: rotated.map(({ kind, keyId }) => ({ kind, keyId })), generation })}\n`);
  });
}

/** Opens the server's storage (never migrating it), runs `body` when it holds keys, closes. */
async function withKeyStorage(flags: KeysFlags, body: (storage: Storage, config: ServerConfig) => Promise<void>): Promise<void> {
  const opened = await openCommandStorage({ dataDir: flags.dataDir });
  if (!opened) return;
  const { config, storage } = opened;
  try {
    // Before reading the master key: on SQLite that would create a key file nothing was sealed with.
    if ((await storage.keys.serverKeyGeneration().catch(() => 0)) === 0) {
      return fail("no server keys in this database yet: start `syncpool serve` on it once first");
    }
    await body(storage, config);
  } finally {
    await storage.close();
  }
}
