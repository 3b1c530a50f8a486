/**
 * The server's VAPID key pair, made with `node:crypto` at the first start: the shape `web-push`
 * signs with (a 65-byte uncompressed P-256 public key, a 32-byte private key, base64url), the
 * public key that of the private one, and a private key with leading zero bytes kept at 32 bytes.
 */
import { createECDH } from "node:crypto";
import webpush from "web-push";
import { describe, expect, it } from "vitest";
import { SERVER_KEY_KINDS } from "../../server/keys/key-kinds.js";

const vapid = SERVER_KEY_KINDS.find((spec) => spec.kind === "vapid")!;
const newPair = async () => JSON.parse(await vapid.generate(new Map())) as { publicKey: string; privateKey: string };

describe("the vapid key kind", () => {
  it("makes a P-256 pair web-push signs with, its public key that of its private key", async () => {
    const { publicKey, privateKey } = await newPair();
    expect(Buffer.from(publicKey, "base64url")).toHaveLength(65);
    expect(Buffer.from(privateKey, "base64url")).toHaveLength(32);
    const curve = createECDH("prime256v1");
    curve.setPrivateKey(Buffer.from(privateKey, "base64url"));
    expect(curve.getPublicKey().toString("base64url")).toBe(publicKey);
    expect(() => webpush.setVapidDetails("mailto:ops@example.com", publicKey, privateKey)).not.toThrow();
  });

  it("keeps a private key that starts with a zero byte at 32 bytes", async () => {
    // About one key in 256 starts with a zero byte; make keys until one does.
    let pair = await newPair();
    for (let made = 1; Buffer.from(pair.privateKey, "base64url")[0] !== 0 && made < 20_000; made++) pair = await newPair();
    const privateKey = Buffer.from(pair.privateKey, "base64url");
    expect(privateKey[0]).toBe(0);
    expect(privateKey).toHaveLength(32);
    const curve = createECDH("prime256v1");
    curve.setPrivateKey(privateKey);
    expect(curve.getPublicKey().toString("base64url")).toBe(pair.publicKey);
  });
});
