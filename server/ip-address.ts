/**
 * IP address arithmetic the server needs without a library: the 16 bytes of an IPv6 address and
 * the IPv4 address inside an IPv4-mapped one. Per-address rate limits and connection caps key by
 * network (`addressBucket`), because one IPv6 subscriber is handed a whole /64 and could otherwise
 * rotate through 2^64 fresh buckets.
 */
import { isIPv4, isIPv6 } from "node:net";

/**
 * The 16 bytes of an IPv6 address (a zone such as `%eth0` is dropped; an embedded dotted IPv4 tail
 * is read), or null when `text` is not IPv6.
 */
export function ipv6Bytes(text: string): Uint8Array | null {
  const address = text.replace(/%.*$/, "");
  if (!isIPv6(address)) return null;
  const [head = "", tail] = address.split("::") as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === "") return [];
    return part.split(":").flatMap((group) => {
      if (!group.includes(".")) return [Number.parseInt(group, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  words.forEach((word, index) => {
    bytes[index * 2] = word >> 8;
    bytes[index * 2 + 1] = word & 0xff;
  });
  return bytes;
}

/** `1.2.3.4` for `::ffff:1.2.3.4` (and its hex form `::ffff:102:304`); null for any other address. */
export function mappedIPv4(bytes: Uint8Array): string | null {
  const isMapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return isMapped ? Array.from(bytes.subarray(12)).join(".") : null;
}

/**
 * The key per-address limits count under: an IPv4 address as it is (an IPv4-mapped IPv6 address as
 * its IPv4 address), an IPv6 address as its /64 network (`2001:db8:1:2::/64`), anything else (an
 * in-process request) unchanged.
 */
export function addressBucket(address: string): string {
  if (isIPv4(address)) return address;
  const bytes = ipv6Bytes(address);
  if (bytes === null) return address;
  const ipv4 = mappedIPv4(bytes);
  if (ipv4 !== null) return ipv4;
  const words = [0, 1, 2, 3].map((index) => ((bytes[index * 2]! << 8) | bytes[index * 2 + 1]!).toString(16));
  return `${words.join(":")}::/64`;
}
