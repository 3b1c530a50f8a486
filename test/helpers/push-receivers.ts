/**
 * Stand-ins for what push notifications are sent to, for integration tests:
 * - a Web Push service (RFC 8030) that records each request, with what a browser holds to read
 *   them: a subscription's P-256 key pair and auth secret, `decryptWebPush` (RFC 8291 aes128gcm,
 *   with node:crypto only) and `verifyVapid` (RFC 8292, with jose);
 * - a webhook gateway that records each POST (check it with the server's `verifySignature`).
 * Both answer with statuses a test queues per path (200/201 when none is queued).
 */
import { createECDH, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { importJWK, jwtVerify, type JWTPayload } from "jose";
import { Mailbox } from "./push-clients.js";

/** One request a receiver got. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What a browser keeps for one push subscription, and what it hands the app server. */
export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  privateKey: Buffer;
  authSecret: Buffer;
}

export interface Receiver {
  url: string;
  requests: Mailbox<Received>;
  /** Answers the next requests to `path` with these statuses, in order; 0 leaves one unanswered. */
  respondWith(path: string, ...statuses: number[]): void;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1:0 recording every request. */
export async function startReceiver(defaultStatus = 201): Promise<Receiver> {
  const requests = new Mailbox<Received>();
  const queued = new Map<string, number[]>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      requests.put({ path, headers: request.headers, body: Buffer.concat(chunks) });
      const status = queued.get(path)?.shift() ?? defaultStatus;
      if (status !== 0) response.writeHead(status).end(); // 0: never answer (a hung service)
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (path, ...statuses) => queued.set(path, [...(queued.get(path) ?? []), ...statuses]),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A new browser push subscription whose endpoint is `<receiver>/<path>`. */
export function browserSubscription(receiver: Receiver, path: string): BrowserSubscription {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  return {
    endpoint: `${receiver.url}${path}`,
    keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") },
    privateKey: ecdh.getPrivateKey(),
    authSecret,
  };
}

/**
 * Decrypts an aes128gcm Web Push body as the browser would (RFC 8291 section 3.4, RFC 8188):
 * header `salt(16) | rs(4) | idlen(1) | keyid` where keyid is the sender's ephemeral public key,
 * then one record whose plaintext ends with the 0x02 delimiter and optional zero padding.
 */
export function decryptWebPush(body: Buffer, subscription: BrowserSubscription): string {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const senderPublicKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);

  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(subscription.privateKey);
  const sharedSecret = ecdh.computeSecret(senderPublicKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), ecdh.getPublicKey(), senderPublicKey]);
  const ikm = Buffer.from(hkdfSync("sha256", sharedSecret, subscription.authSecret, keyInfo, 32));
  const contentKey = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));

  const decipher = createDecipheriv("aes-128-gcm", contentKey, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("aes128gcm: the last record does not end with the 0x02 delimiter");
  return padded.subarray(0, end).toString("utf8");
}

/**
 * Checks `Authorization: vapid t=<jwt>, k=<key>` (RFC 8292): `k` is the server's published VAPID
 * key and the ES256 JWT verifies against it for `audience` (the push service's origin).
 */
export async function verifyVapid(authorization: string | undefined, vapidPublicKey: string, audience: string): Promise<JWTPayload> {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
  if (!match) throw new Error(`not a VAPID authorization header: ${authorization}`);
  if (match[2] !== vapidPublicKey) throw new Error("the VAPID key is not the one the server publishes");
  const point = Buffer.from(vapidPublicKey, "base64url");
  const key = await importJWK({ kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33, 65).toString("base64url") }, "ES256");
  const { payload } = await jwtVerify(match[1]!, key, { algorithms: ["ES256"], audience });
  return payload;
}
