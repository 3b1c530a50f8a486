/**
 * TLS for the server's own port: SYNCPOOL_TLS_CERT_FILE and SYNCPOOL_TLS_KEY_FILE (PEM files, both
 * or neither). With them `server/node.ts` listens with node:https, so HTTP and every WebSocket
 * route (`/graphql`, the model API's realtime `wss://`) are served over TLS without a proxy in
 * front. The files are read once at start-up; a missing file, or a key that does not match the
 * certificate, stops start-up with a `ConfigError` naming the variable.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { z } from "zod";
import { ConfigError } from "./config-error.js";

/** The certificate (chain) and private key the server listens with, PEM. Never log the key. */
export interface TlsConfig {
  /** Absolute path of the certificate file, for the start-up log. */
  certFile: string;
  cert: Buffer;
  key: Buffer;
}

/** The variables of TLS, for `config-env.ts`. */
export const tlsEnvShape = {
  SYNCPOOL_TLS_CERT_FILE: z.string().min(1, { error: "expected a file path" }).optional(),
  SYNCPOOL_TLS_KEY_FILE: z.string().min(1, { error: "expected a file path" }).optional(),
};

/** Reads the certificate and key named by the environment; null when neither is set. @throws ConfigError */
export function toTlsConfig(env: { SYNCPOOL_TLS_CERT_FILE?: string | undefined; SYNCPOOL_TLS_KEY_FILE?: string | undefined }): TlsConfig | null {
  const { SYNCPOOL_TLS_CERT_FILE: certPath, SYNCPOOL_TLS_KEY_FILE: keyPath } = env;
  if (certPath === undefined && keyPath === undefined) return null;
  if (certPath === undefined) throw new ConfigError("environment variable SYNCPOOL_TLS_CERT_FILE: required with SYNCPOOL_TLS_KEY_FILE (the certificate to serve with the key)");
  if (keyPath === undefined) throw new ConfigError("environment variable SYNCPOOL_TLS_KEY_FILE: required with SYNCPOOL_TLS_CERT_FILE (the certificate's private key)");
  const certFile = resolve(certPath);
  const cert = readPem(certFile, "SYNCPOOL_TLS_CERT_FILE");
  const key = readPem(resolve(keyPath), "SYNCPOOL_TLS_KEY_FILE");
  try {
    // Fails on a file that is not PEM and on a key that is not the certificate's.
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(`environment variables SYNCPOOL_TLS_CERT_FILE and SYNCPOOL_TLS_KEY_FILE: not a PEM certificate and its private key (${(error as Error).message})`);
  }
  return { certFile, cert, key };
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`environment variable ${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
