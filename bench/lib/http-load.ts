/**
 * The load generator of the request-rate measurements: `node:http` requests over a keep-alive
 * Agent with one socket per client loop, so the syncpool server and the bare `node:http` baseline
 * are driven by the same client code, the same bodies and the same connections. It is lighter
 * than the global fetch (undici's per-request streams and promises), so at 64 clients the
 * generator is not what limits the rate.
 */
import { Agent, request } from "node:http";
import { measureClosedLoop, type LoadResult } from "./load-patterns.js";

/** One request of a loop: its JSON body and optional bearer token. */
export interface LoadRequest {
  body: string;
  token?: string;
}

/** What a closed-loop run measured; failed requests are counted apart and not in the rate. */
export type HttpLoadResult = LoadResult;

/** POSTs `body` with `agent`; resolves to the response text, rejects on a non-2xx status. */
export function postJson(agent: Agent, url: URL, body: string, token?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    if (token) headers.authorization = `Bearer ${token}`;
    const outgoing = request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) reject(new Error(`HTTP ${status}: ${text.slice(0, 200)}`));
        else resolve(text);
      });
      response.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** A GraphQL answer with `errors` counts as a failure: the push it stands for was not made. */
function checkGraphqlAnswer(text: string): void {
  if (text.includes('"errors"')) throw new Error(text.slice(0, 200));
}

/**
 * `clients` closed loops (`measureClosedLoop`) POSTing `next(client, sequence)` to `url` for
 * `windowMs` after `warmUpMs` not counted, each loop on its own keep-alive socket. The same call
 * drives syncpool and the bare server, so both see the same bodies at the same concurrency.
 */
export async function measureHttpLoad(url: string, clients: number, windowMs: number, warmUpMs: number, next: (client: number, sequence: number) => LoadRequest, onWindow?: (edge: "start" | "end") => void): Promise<HttpLoadResult> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  let sequence = 0;
  try {
    return await measureClosedLoop(clients, windowMs, warmUpMs, async (client) => {
      const { body, token } = next(client, sequence++);
      checkGraphqlAnswer(await postJson(agent, target, body, token));
    }, onWindow);
  } finally {
    agent.destroy();
  }
}
