/**
 * Secret files in the data directory (signing keys, VAPID keys, webhook secrets): created once,
 * readable only by the server's user, and safe when several processes start at once.
 */
import { randomBytes } from "node:crypto";
import { chmod, link, readFile, unlink, writeFile } from "node:fs/promises";

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
