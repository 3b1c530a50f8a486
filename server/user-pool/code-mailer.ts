/**
 * How a user-pool code reaches its user. With `SYNCPOOL_SMTP_URL` set, by mail through nodemailer;
 * without it (local development) the code is logged and appended to `<data dir>/user-pool-codes.log`,
 * so signing up needs no mail server. Delivery failures are logged and never leak to the caller:
 * Cognito answers a sign-up whose mail bounces the same way.
 */
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import type { Transporter } from "nodemailer";
import type { Logger } from "../logger.js";

/** One message with a code. */
export interface CodeMessage {
  poolId: string;
  username: string;
  to: string;
  /** What the code is for, for the log line and the subject. */
  purpose: string;
  subject: string;
  text: string;
  code: string;
}

/** Sends codes. */
export interface CodeMailer {
  /** Delivers a message; resolves once it was handed over (or logged), never rejects. */
  send(message: CodeMessage): Promise<void>;
  close(): void;
}

/** The file codes are appended to without SMTP. */
export const CODES_LOG_FILE = "user-pool-codes.log";

/** A mailer over `smtpUrl`, or the log-and-file one when it is null. */
export function createCodeMailer(options: { smtpUrl: string | null; from: string; dataDir: string; logger: Logger }): CodeMailer {
  const { logger } = options;
  if (options.smtpUrl === null) {
    const file = join(options.dataDir, CODES_LOG_FILE);
    return {
      async send(message) {
        logger.info({ poolId: message.poolId, username: message.username, purpose: message.purpose, code: message.code }, "user-pool code (no SYNCPOOL_SMTP_URL: not mailed)");
        const line = JSON.stringify({ at: new Date().toISOString(), poolId: message.poolId, username: message.username, to: message.to, purpose: message.purpose, code: message.code });
        await appendFile(file, `${line}\n`, { mode: 0o600 }).catch((error: unknown) => logger.warn({ err: error, file }, "writing a user-pool code to the codes file failed"));
      },
      close() {},
    };
  }
  // nodemailer loads with the first code mailed, not with every server start.
  const smtpUrl = options.smtpUrl;
  let transport: Promise<Transporter> | undefined;
  const transportOf = () => (transport ??= import("nodemailer").then(({ default: nodemailer }) => nodemailer.createTransport(smtpUrl)));
  return {
    async send(message) {
      try {
        await (await transportOf()).sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
      } catch (error) {
        logger.warn({ err: error, poolId: message.poolId, purpose: message.purpose }, "mailing a user-pool code failed");
      }
    },
    close: () => void transport?.then((opened) => opened.close(), () => undefined),
  };
}
