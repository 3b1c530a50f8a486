/**
 * Structured logs (pino). The server never logs request variables or headers wholesale; the
 * redaction list below is the second line of defence, for any object that carries a secret
 * under a well-known name (a token, a device secret, the admin token, a developer key, a
 * webhook secret) however deep a caller nested it.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger } from "pino";

/** Field names that hold secrets wherever they appear. */
const SECRET_FIELDS = [
  "authorization",
  "token",
  "deviceSecret",
  "adminToken",
  "masterKey",
  "secret",
  "key",
  "privateKey",
  "sessionSecret",
  "password",
  // AWS endpoints: developer credentials' secret, temporary credentials, signed-request headers.
  "secretAccessKey",
  "SecretKey",
  "SessionToken",
  "x-amz-security-token",
];

/**
 * Redaction paths: each secret field at the top level and up to four levels down, plus header
 * and config shapes with arrays. fast-redact needs explicit depths; four covers everything we log.
 */
const REDACT_PATHS: string[] = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`, `*.*.*.*.${field}`]),
  'req.headers["authorization"]',
  "pools[*].developerProvider.key",
  "pools[*].syncTrigger.secret",
  "config.pools[*].developerProvider.key",
  "config.pools[*].syncTrigger.secret",
  "pools[*].stream.webhooks[*].secret",
  "config.pools[*].stream.webhooks[*].secret",
];

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to capture or a sink to silence. */
  destination?: DestinationStream;
}

/**
 * The server's root logger: JSON lines, secrets censored. Children (`logger.child({ component })`)
 * inherit the redaction.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "syncpool" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    options.destination ?? pino.destination(1),
  );
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
