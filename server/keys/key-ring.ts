/**
 * The server's keys as every instance sees them: read from the database (`KeyStore`), opened with
 * the master key, and kept current. Instances share nothing but the database: the first to start
 * creates each missing kind (under the store's lock, so all agree), importing the key file of a
 * data directory from before keys moved to the database when there is one, so tokens issued before
 * the upgrade stay valid. A rotation on any instance (`rotateServerKeys`) is noticed by the others
 * within `pollMs` through the store's generation counter.
 *
 * Overlap: a rotation keeps the previous key of each kind (`KEEP_PER_KIND`). Tokens are signed with
 * the newest key and verified with either, so a token signed before a rotation keeps working until
 * it expires; a second rotation within one token lifetime drops the oldest key.
 */
import type { Logger } from "../logger.js";
import type { SecretBox } from "../secret-box.js";
import type { KeyStore, NewServerKey, ServerKeyRow } from "../storage/key-store.js";
import { importSigningKey, type SigningKeySet } from "../identity/keys.js";
import type { StoredPushSecrets } from "../push/push-secrets.js";
import { decodeSecret, readLegacyKeyFile, SERVER_KEY_KINDS, type ServerKeyKind, type ServerKeyKindSpec } from "./key-kinds.js";

/** Keys kept per kind by a rotation: the new one and the one before it. */
export const KEEP_PER_KIND = 2;
/** How often an instance checks for a rotation made elsewhere. */
export const DEFAULT_KEY_POLL_MS = 250;

/** The keys in use; the accessors always answer with the newest state seen. */
export interface KeyRing {
  /** The token signing keys: the newest signs, all verify. */
  signing(): SigningKeySet;
  /** HMAC keys of sync session tokens, newest first: the first signs, all verify. */
  sessionSecrets(): readonly Uint8Array[];
  /** The key the AWS endpoints derive credentials and iterators from (not rotated). */
  awsSecret(): Uint8Array;
  /** VAPID keys and the push webhook secret (not rotated). */
  pushSecrets(): StoredPushSecrets;
  /** The store's generation this state was read at. */
  generation(): number;
  /** Reads the keys again when the generation moved; the poll does it on a timer. */
  refresh(): Promise<void>;
  /**
   * `refresh`, at most once per poll interval: for a token naming a key this instance has not seen
   * (signed by another instance right after a rotation), without letting made-up key ids turn
   * every request into a database read.
   */
  refreshSoon(): Promise<void>;
  /** Stops polling. */
  close(): void;
}

export interface KeyRingOptions {
  store: KeyStore;
  box: SecretBox;
  /** Where key files of an older data directory may be found (imported once, then unused). */
  dataDir: string;
  now: () => number;
  logger: Logger;
  /** Poll interval for rotations made elsewhere; 0 turns polling off. */
  pollMs?: number;
}

/**
 * Creates missing keys, reads them all, and starts watching for rotations. Keys are made only for
 * the kinds the database lacks: a restart, or an instance joining others, makes none.
 */
export async function openKeyRing(options: KeyRingOptions): Promise<KeyRing> {
  const { store, box, logger } = options;
  const rows = await store.listServerKeys();
  const missing = SERVER_KEY_KINDS.filter((spec) => !rows.some((row) => row.kind === spec.kind));
  let state: RingState;
  if (missing.length === 0) {
    state = await stateOf(rows, box);
  } else {
    // Another instance may store some of them first: only the kinds still missing under the store's lock are kept.
    const created = await store.addMissingServerKeys(await initialKeys(options, missing));
    if (created.length > 0) logger.info({ kinds: created }, "server keys stored in the database");
    state = await readState(store, box);
  }

  let refreshing: Promise<void> | undefined;
  const refresh = () =>
    (refreshing ??= (async () => {
      try {
        const generation = await store.serverKeyGeneration();
        if (generation === state.generation) return;
        state = await readState(store, box);
        logger.info({ generation: state.generation, kid: state.signing.current.kid }, "server keys reloaded");
      } finally {
        refreshing = undefined;
      }
    })());

  const pollMs = options.pollMs ?? DEFAULT_KEY_POLL_MS;
  let lastEagerRefreshAt = -Infinity;
  const refreshSoon = async () => {
    if (refreshing === undefined && performance.now() - lastEagerRefreshAt < pollMs) return;
    lastEagerRefreshAt = performance.now();
    await refresh();
  };
  const timer = pollMs > 0 ? setInterval(() => void refresh().catch((error: unknown) => logger.warn({ err: error }, "checking for rotated server keys failed")), pollMs) : undefined;
  timer?.unref();

  return {
    signing: () => state.signing,
    sessionSecrets: () => state.sessionSecrets,
    awsSecret: () => state.awsSecret,
    pushSecrets: () => state.pushSecrets,
    generation: () => state.generation,
    refresh,
    refreshSoon,
    close: () => clearInterval(timer),
  };
}

/**
 * Replaces every kind that rotates with a new key, keeping the previous one for verification.
 * Instances pick the new keys up on their next poll. Returns the new rows (sealed).
 */
export async function rotateServerKeys(store: KeyStore, box: SecretBox, now: () => number): Promise<ServerKeyRow[]> {
  const rotated: ServerKeyRow[] = [];
  for (const spec of SERVER_KEY_KINDS.filter((kind) => kind.rotates)) {
    const material = await spec.generate(new Map());
    rotated.push(await store.rotateServerKey(await sealedKey(box, spec.kind, material, await spec.keyIdOf(material), now()), KEEP_PER_KIND));
  }
  return rotated;
}

interface RingState {
  generation: number;
  signing: SigningKeySet;
  sessionSecrets: Uint8Array[];
  awsSecret: Uint8Array;
  pushSecrets: StoredPushSecrets;
}

/** One key per kind of `kinds`, from the legacy file when present, else new. Only the missing kinds are stored. */
async function initialKeys({ box, dataDir, now }: KeyRingOptions, kinds: readonly ServerKeyKindSpec[]): Promise<NewServerKey[]> {
  const chosen = new Map<ServerKeyKind, string>();
  const keys: NewServerKey[] = [];
  for (const spec of kinds) {
    const material = (await readLegacyKeyFile(dataDir, spec.legacyFile)) ?? (await spec.generate(chosen));
    chosen.set(spec.kind, material);
    keys.push(await sealedKey(box, spec.kind, material, await spec.keyIdOf(material), now()));
  }
  return keys;
}

async function sealedKey(box: SecretBox, kind: ServerKeyKind, material: string, keyId: string, createdAt: number): Promise<NewServerKey> {
  return { kind, keyId, sealed: box.seal(material, sealContext(kind, keyId)), createdAt };
}

/** Binds sealed material to its row: a value copied to another kind or key id does not open. */
const sealContext = (kind: string, keyId: string) => `server-key:${kind}:${keyId}`;

async function readState(store: KeyStore, box: SecretBox): Promise<RingState> {
  return stateOf(await store.listServerKeys(), box);
}

async function stateOf(rows: readonly ServerKeyRow[], box: SecretBox): Promise<RingState> {
  // Newest first per kind: the first key of a kind is the one in use.
  const byKind = new Map<string, string[]>();
  for (const row of [...rows].reverse()) {
    const material = openRow(box, row);
    byKind.set(row.kind, [...(byKind.get(row.kind) ?? []), material]);
  }
  const materials = (kind: ServerKeyKind): string[] => {
    const found = byKind.get(kind);
    if (found === undefined || found.length === 0) throw new Error(`no ${kind} key in the database`);
    return found;
  };
  const signingKeys = await Promise.all(materials("token-signing").map(importSigningKey));
  const vapid = JSON.parse(materials("vapid")[0]!) as { publicKey?: unknown; privateKey?: unknown };
  if (typeof vapid.publicKey !== "string" || typeof vapid.privateKey !== "string") throw new Error("the stored vapid key is not a VAPID key pair");
  return {
    generation: rows.reduce((highest, row) => Math.max(highest, row.generation), 0),
    signing: { current: signingKeys[0]!, all: signingKeys },
    sessionSecrets: materials("session").map((material) => decodeSecret(material, "session")),
    awsSecret: decodeSecret(materials("aws-credentials")[0]!, "aws-credentials"),
    pushSecrets: { vapid: { publicKey: vapid.publicKey, privateKey: vapid.privateKey }, webhookSecret: materials("push-webhook")[0]! },
  };
}

function openRow(box: SecretBox, row: ServerKeyRow): string {
  try {
    return box.open(row.sealed, sealContext(row.kind, row.keyId));
  } catch {
    // The usual cause: instances started with different master keys (or none, each generating its own).
    throw new Error(
      `the ${row.kind} key in the database does not open with this master key: give every instance the same SYNCPOOL_MASTER_KEY (the one the keys were first stored under)`,
    );
  }
}
