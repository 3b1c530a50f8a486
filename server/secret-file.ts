/**
 * Secret files in the data directory (the master key; data directories from before keys moved to
 * the database also hold signing keys, VAPID keys and webhook secrets, imported once by
 * `server/keys/key-ring.ts`): created once, readable only by the server's user, and safe when
 * several processes start at once; and the data directory itself, kept private.
 */
import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Reads `file`, or writes `create()`'s text to it (mode 0600, fsynced) and returns that. The file
 * is published with `link`, which fails when another process got there first; that process's
 * file is then used, so every process ends up with the same secret.
 */
export async function readOrCreateSecretFile(file: string, create: () => Promise<string>): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const text = await create();
  await writeFile(temporary, text, { mode: 0o600, flush: true });
  await chmod(temporary, 0o600); // the umask may have narrowed it further, never widened: make it exact
  try {
    await link(temporary, file);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return await readFile(file, "utf8");
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/**
 * Makes the data directory private to the server's user: the directory and its `keys/` 0700, the
 * files it names 0600 (the SQLite database and its journal files, created by the driver with the
 * umask's mode). Files that do not exist yet are skipped; the directory's own mode already keeps
 * other users out of anything created inside it later.
 */
export async function restrictDataDir(dataDir: string, files: readonly string[]): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const keys = join(dataDir, "keys");
  await chmod(keys, 0o700).catch(ignoreMissing);
  const keyFiles = await readdir(keys).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? [] : Promise.reject(error)));
  for (const file of [...files.map((name) => join(dataDir, name)), ...keyFiles.map((name) => join(keys, name))]) {
    await chmod(file, 0o600).catch(ignoreMissing);
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== "ENOENT") throw error;
}
