/**
 * Compresses large GraphQL answers with the encoding the client accepts (`br`, else `gzip`, by
 * its `Accept-Encoding`), with Node's zlib. Small answers go out as they are: below about a
 * kilobyte the encoding's own header and the CPU cost outweigh what it saves. Only whole JSON
 * answers are compressed: event streams (SSE subscriptions, incremental delivery) must reach the
 * client as each part is written, and a compressor would hold them back.
 *
 * Replaces @whatwg-node/server's `useContentEncoding` for two reasons: it compresses every answer
 * whatever its size, and it streams through CompressionStream, so every answer goes out chunked.
 */
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Plugin } from "graphql-yoga";

/** Answers smaller than this many bytes are sent uncompressed. */
export const COMPRESS_MIN_BYTES = 1024;

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The encoding to use for a request's `Accept-Encoding`: `br` before `gzip`, or null. */
export function chooseEncoding(acceptEncoding: string | null): "br" | "gzip" | null {
  if (!acceptEncoding) return null;
  const accepted = new Set<string>();
  for (const part of acceptEncoding.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    if (q === undefined || Number(q) > 0) accepted.add(name.trim());
  }
  return accepted.has("br") ? "br" : accepted.has("gzip") ? "gzip" : null;
}

/** The plugin; `minBytes` is the size from which answers are compressed. */
export function useCompression(minBytes: number = COMPRESS_MIN_BYTES): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      const encoding = chooseEncoding(request.headers.get("accept-encoding"));
      if (encoding === null || !response.body || response.headers.has("content-encoding")) return;
      if (!/^application\/(graphql-response\+)?json\b/.test(response.headers.get("content-type") ?? "")) return;
      const declared = response.headers.get("content-length");
      if (declared !== null && Number(declared) < minBytes) return;
      const body = Buffer.from(await response.arrayBuffer());
      const headers = new fetchAPI.Headers(response.headers);
      headers.append("vary", "accept-encoding");
      let sent: Buffer = body;
      if (body.length >= minBytes) {
        // Brotli at quality 4 compresses about as fast as gzip's default and smaller; a 1 MB page
        // costs milliseconds, where quality 11 would cost a second.
        sent =
          encoding === "br"
            ? await brotliAsync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
            : await gzipAsync(body);
        headers.set("content-encoding", encoding);
      }
      headers.set("content-length", String(sent.length));
      setResponse(new fetchAPI.Response(new Uint8Array(sent), { status: response.status, statusText: response.statusText, headers }));
    },
  };
}
