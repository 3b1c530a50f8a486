/**
 * A self-signed certificate for tests that serve TLS: made at test time with the `openssl` command
 * (Debian's `openssl` package; `.ci/run` installs it when missing) into a temporary directory,
 * valid for `localhost` and 127.0.0.1 for one day. The directory is deleted when the test file
 * ends. Clients trust it by passing `cert` as their CA, or a browser context ignores HTTPS errors.
 *
 *   const tls = makeTlsCert();
 *   loadConfig({ SYNCPOOL_TLS_CERT_FILE: tls.certFile, SYNCPOOL_TLS_KEY_FILE: tls.keyFile });
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onEveryFileEnd } from "./file-end.js";

/** A certificate and its key, as PEM files and as their contents. */
export interface TlsCert {
  certFile: string;
  keyFile: string;
  /** PEM of the certificate (also the CA to trust: it signed itself). */
  cert: string;
  key: string;
}

const dirs = new Set<string>();
onEveryFileEnd(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
});

/** Makes a fresh self-signed certificate for `localhost` and 127.0.0.1; see the module comment. */
export function makeTlsCert(): TlsCert {
  const dir = mkdtempSync(join(tmpdir(), "syncpool-tls-"));
  dirs.add(dir);
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyFile, "-out", certFile],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  } catch (error) {
    throw new Error(`could not make a test certificate with openssl (apt-get install -y openssl; .ci/run does): ${(error as Error).message}`, { cause: error });
  }
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}
