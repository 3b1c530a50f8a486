import { describe, expect, it } from "vitest";
import { clientAddress } from "../../server/client-address.js";

describe("the client address used for per-address rate limits", () => {
  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress("10.0.0.5", "203.0.113.9", 0)).toBe("10.0.0.5");
  });

  it("is the address the one trusted proxy saw", () => {
    expect(clientAddress("10.0.0.5", "203.0.113.9", 1)).toBe("203.0.113.9");
  });

  it("ignores entries a client forged in front of what the trusted proxies appended", () => {
    expect(clientAddress("10.0.0.5", "1.2.3.4, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.5", "1.2.3.4, 203.0.113.9, 10.0.0.7", 2)).toBe("203.0.113.9");
  });

  it("falls back to the leftmost entry when fewer hops appended than are trusted", () => {
    expect(clientAddress("10.0.0.5", "203.0.113.9", 3)).toBe("203.0.113.9");
  });

  it("is the peer when a trusted proxy sent no header", () => {
    expect(clientAddress("10.0.0.5", null, 1)).toBe("10.0.0.5");
  });
});
