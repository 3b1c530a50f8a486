/**
 * An HTTPS front for tests of clients that only speak https (Amplify's hosted-UI URLs): a
 * self-signed certificate for `localhost` (`tls-cert.ts`), and a reverse proxy on 127.0.0.1, port 0, that passes every request on unchanged
 * to a plain-HTTP server, as an operator's TLS proxy does. The target may be set after the front
 * starts, so the front's URL can be a server's public URL.
 */
import { request as httpRequest } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { makeTlsCert } from "./tls-cert.js";

/** A started front. */
export interface TlsFront {
  /** `https://localhost:<port>`. */
  url: string;
  /** Where requests go: a plain-HTTP origin such as `http://127.0.0.1:41234`. */
  setTarget(origin: string): void;
  close(): Promise<void>;
}

/** Starts a front; see the module comment. */
export async function startTlsFront(): Promise<TlsFront> {
  const { key, cert } = makeTlsCert();
  let target: URL | null = null;
  const server = createServer({ key, cert }, (incoming, outgoing) => {
    if (target === null) {
      outgoing.writeHead(503).end("no target yet");
      return;
    }
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on("error", () => outgoing.headersSent ? outgoing.destroy() : outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    setTarget: (origin) => {
      target = new URL(origin);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
