/**
 * How a code reaches a phone: the pool's `smsSender` webhook. Each message is one JSON POST
 *
 *   { "type": "SMS_MFA" | "SIGN_UP" | "VERIFY_PHONE_NUMBER", "phoneNumber": "+15550100",
 *     "code": "123456", "message": "Your sign-in code is 123456", "userPoolId": "...", "username": "..." }
 *
 * signed like the stream's webhooks and sync triggers (`x-syncpool-timestamp`, `x-syncpool-signature:
 * v1=<HMAC-SHA256(secret, "<timestamp>.<body>")>`, `server/stream/signature.ts`), sent under the
 * outbound guard (`server/outbound-http.ts`). The receiver hands the text to its SMS provider. A
 * failed delivery is logged and never reaches the caller, as a bounced mail does not.
 */
import type { Logger } from "../logger.js";
import type { PostSigned } from "../stream/post-signed.js";
import type { LoadedUserPool } from "./user-pool-deps.js";

/** One text message with a code. */
export interface SmsMessage {
  type: "SMS_MFA" | "SIGN_UP" | "VERIFY_PHONE_NUMBER";
  phoneNumber: string;
  code: string;
  message: string;
  userPoolId: string;
  username: string;
}

/** Sends text messages through a pool's webhook. */
export interface SmsSender {
  /** Whether `pool` can send text messages at all. */
  canSend(pool: LoadedUserPool): boolean;
  /** Delivers a message; resolves once the receiver answered (or failed), never rejects. */
  send(pool: LoadedUserPool, message: SmsMessage): Promise<void>;
}

/** A sender over `post`. */
export function createSmsSender(options: { post: PostSigned; now: () => number; logger: Logger }): SmsSender {
  const { logger } = options;
  return {
    canSend: (pool) => pool.settings.smsSender !== undefined,
    async send(pool, message) {
      const target = pool.settings.smsSender;
      if (target === undefined) return;
      try {
        const response = await options.post({ url: target.url, secret: target.secret, body: JSON.stringify(message), timeoutMs: target.timeoutMs }, options.now());
        if (response.status >= 300) logger.warn({ poolId: message.userPoolId, type: message.type, status: response.status }, "the SMS sender refused a user-pool code");
      } catch (error) {
        logger.warn({ err: error, poolId: message.userPoolId, type: message.type }, "sending a user-pool code by SMS failed");
      }
    },
  };
}

/** `+15550100199` as `+*******0199`, as Cognito shows where a text went. */
export function maskPhoneNumber(phoneNumber: string): string {
  const digits = phoneNumber.replace(/^\+/, "");
  return `+${"*".repeat(Math.max(digits.length - 4, 0))}${digits.slice(-4)}`;
}
