/**
 * Every request the server makes to a URL that someone else chose goes through here: Web Push and
 * webhook deliveries (a client registers the URL), sync triggers and stream webhooks (the pool's
 * settings), and OIDC discovery and key sets (a provider's issuer). Without a guard, each is a
 * blind SSRF: the server would POST or GET at loopback services, the private network, or a cloud
 * metadata address on an attacker's behalf.
 *
 * The guard, in order:
 * 1. the URL is http(s) without credentials;
 * 2. its host is resolved, and every address must be public (`isPublicAddress`) unless the
 *    operator allows private addresses (on-premises receivers, tests);
 * 3. the connection goes to the address that was checked (a custom `lookup`), so a DNS answer that
 *    changes between check and connect (rebinding) cannot swap in another address; TLS still
 *    verifies the certificate against the URL's host name;
 * 4. redirects are never followed, and the answer's body is read up to a cap, then refused.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";
import { ipv6Bytes, mappedIPv4 } from "./ip-address.js";

/** What an operator allows outbound requests to reach. */
export interface OutboundPolicy {
  /** Loopback, private, link-local and other non-public addresses (never the default). */
  allowPrivateAddresses: boolean;
}

/** An outbound request. */
export interface OutboundRequest {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  timeoutMs: number;
  /** Larger answers are refused (an `OutboundRefused`); the default is 1 MiB. */
  maxResponseBytes?: number;
  /** Ends the request early (a stopping server). */
  signal?: AbortSignal;
}

/** What came back. */
export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request the guard refused to make: a bad URL, a host that does not resolve, a non-public address, an oversized answer. */
export class OutboundRefused extends Error {
  override readonly name = "OutboundRefused";
  constructor(
    message: string,
    readonly reason: "url" | "unresolved" | "address" | "size" = "url",
  ) {
    super(message);
  }
}

/** Resolves a host to its addresses; `dns.lookup` by default, replaceable for tests. */
export type ResolveHost = (host: string) => Promise<Array<{ address: string; family: number }>>;

const resolveWithDns: ResolveHost = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Addresses that are not on the public Internet, or that reach something other than the named host. */
const NON_PUBLIC = (() => {
  const list = new BlockList();
  const v4: Array<[string, number]> = [
    ["0.0.0.0", 8], // "this network"
    ["10.0.0.0", 8],
    ["100.64.0.0", 10], // carrier-grade NAT
    ["127.0.0.0", 8],
    ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
    ["172.16.0.0", 12],
    ["192.0.0.0", 24],
    ["192.0.2.0", 24],
    ["192.88.99.0", 24],
    ["192.168.0.0", 16],
    ["198.18.0.0", 15],
    ["198.51.100.0", 24],
    ["203.0.113.0", 24],
    ["224.0.0.0", 4], // multicast
    ["240.0.0.0", 4], // reserved, broadcast
  ];
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, "ipv4");
  const v6: Array<[string, number]> = [
    ["::", 128],
    ["::1", 128],
    ["64:ff9b::", 96], // NAT64: may translate to any IPv4 address, private ones included
    ["64:ff9b:1::", 48],
    ["100::", 64], // discard
    ["2001::", 23], // IETF protocol assignments (Teredo and others)
    ["2001:db8::", 32], // documentation
    ["2002::", 16], // 6to4: embeds any IPv4 address
    ["fc00::", 7], // unique local
    ["fe80::", 10], // link-local
    ["fec0::", 10], // site-local (deprecated)
    ["ff00::", 8], // multicast
  ];
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, "ipv6");
  return list;
})();

/** Whether `address` (IPv4 or IPv6; an IPv4-mapped IPv6 address counts as its IPv4) is public. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NON_PUBLIC.check(address, "ipv4");
  if (family !== 6) return false;
  const bytes = ipv6Bytes(address);
  if (bytes === null) return false;
  const ipv4 = mappedIPv4(bytes);
  if (ipv4 !== null) return !NON_PUBLIC.check(ipv4, "ipv4");
  return !NON_PUBLIC.check(address.replace(/%.*$/, ""), "ipv6");
}

/**
 * The URL, parsed, and the one address to connect to: every address the host resolves to must be
 * allowed, else `OutboundRefused`. Also used at registration, to refuse a URL before storing it.
 */
export async function checkOutboundUrl(text: string, policy: OutboundPolicy, resolve: ResolveHost = resolveWithDns): Promise<{ url: URL; address: string; family: number }> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OutboundRefused("not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new OutboundRefused(`${url.protocol} URLs are not fetched`);
  if (url.username !== "" || url.password !== "") throw new OutboundRefused("a URL with credentials is not fetched");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host);
  } catch (error) {
    throw new OutboundRefused(`${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})`, "unresolved");
  }
  if (addresses.length === 0) throw new OutboundRefused(`${host} does not resolve`, "unresolved");
  if (!policy.allowPrivateAddresses) {
    const blocked = addresses.find(({ address }) => !isPublicAddress(address));
    if (blocked) throw new OutboundRefused(`${host} resolves to ${blocked.address}, which is not a public address`, "address");
  }
  return { url, address: addresses[0]!.address, family: addresses[0]!.family };
}

/**
 * Makes one request under the guard. Resolves with any HTTP answer (3xx included: redirects are the
 * caller's to judge, never followed); rejects with `OutboundRefused`, a network error, or a
 * `TimeoutError` after `timeoutMs`.
 */
export async function outboundRequest(request: OutboundRequest, policy: OutboundPolicy, resolve: ResolveHost = resolveWithDns): Promise<OutboundResponse> {
  const { url, address, family } = await checkOutboundUrl(request.url, policy, resolve);
  const maxBytes = request.maxResponseBytes ?? 1_048_576;
  const signal = request.signal ? AbortSignal.any([AbortSignal.timeout(request.timeoutMs), request.signal]) : AbortSignal.timeout(request.timeoutMs);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const body = request.body === undefined ? undefined : typeof request.body === "string" ? Buffer.from(request.body) : request.body;
  return new Promise<OutboundResponse>((resolvePromise, reject) => {
    const outgoing = send(
      url,
      {
        method: request.method,
        headers: { ...request.headers, ...(body ? { "content-length": String(body.byteLength) } : {}) },
        signal,
        // Connect to the address that was checked, whatever DNS answers now.
        lookup: (_host, options, callback) => {
          if ((options as { all?: boolean }).all) (callback as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
          else callback(null, address, family);
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            response.destroy();
            reject(new OutboundRefused(`the answer is larger than ${maxBytes} bytes`, "size"));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => resolvePromise({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on("error", reject);
      },
    );
    outgoing.on("error", (error) => reject(signal.aborted && signal.reason instanceof Error ? signal.reason : error));
    outgoing.end(body);
  });
}

/**
 * A Fetch-shaped GET under the guard, for code written against `fetch` (OIDC discovery and key
 * sets): the answer comes back as a `Response` once its body was read within the cap.
 */
export function outboundFetch(policy: OutboundPolicy, options: { timeoutMs?: number; maxResponseBytes?: number; resolve?: ResolveHost } = {}) {
  return async (url: string, init: { signal?: AbortSignal; headers?: Record<string, string> }): Promise<Response> => {
    const answer = await outboundRequest(
      {
        url,
        method: "GET",
        headers: init.headers ?? {},
        timeoutMs: options.timeoutMs ?? 10_000,
        maxResponseBytes: options.maxResponseBytes ?? 1_048_576,
        ...(init.signal ? { signal: init.signal } : {}),
      },
      policy,
      options.resolve,
    );
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
    }
    const nullBody = answer.status === 204 || answer.status === 304 || answer.status < 200;
    return new Response(nullBody ? null : new Uint8Array(answer.body), { status: answer.status, headers });
  };
}
