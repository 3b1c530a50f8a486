/**
 * The address a request came from, for per-address rate limits. Behind a load balancer every
 * socket comes from the balancer, so an operator who runs one says how many proxy hops to trust;
 * the client's address is then read from `X-Forwarded-For`, counting from the right, because only
 * the entries our own proxies appended can be trusted (a client can send any header it likes).
 */

/**
 * @param socketAddress the TCP peer, or undefined in-process
 * @param forwardedFor the `X-Forwarded-For` header, or null
 * @param trustedHops how many proxies in front of the server append to `X-Forwarded-For` (0: none)
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | null, trustedHops: number): string {
  const peer = socketAddress ?? "in-process";
  if (trustedHops === 0 || forwardedFor === null) return peer;
  const chain = [
    ...forwardedFor
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ""),
    peer,
  ];
  // chain[-1] is our peer (the nearest proxy); each trusted hop vouches for the entry before it.
  return chain[Math.max(0, chain.length - 1 - trustedHops)]!;
}
