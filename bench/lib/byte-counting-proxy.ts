/**
 * A TCP proxy in front of a server that counts the bytes crossing it each way: what "bytes on
 * the wire" means in the benches (HTTP/1.1 request and status lines, headers and bodies; not the
 * TCP/IP framing below them).
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface ByteCountingProxy {
  /** `http://127.0.0.1:<proxy port>` */
  origin: string;
  /** Bytes client -> server and server -> client so far. */
  counted(): { sentBytes: number; receivedBytes: number };
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 port 0 and forwards every connection to `target` (`http://host:port`). */
export async function startByteCountingProxy(target: string): Promise<ByteCountingProxy> {
  const { hostname, port } = new URL(target);
  let sentBytes = 0;
  let receivedBytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.on("data", (chunk: Buffer) => (sentBytes += chunk.length));
    upstream.on("data", (chunk: Buffer) => (receivedBytes += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counted: () => ({ sentBytes, receivedBytes }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
