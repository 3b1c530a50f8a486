/**
 * Large GraphQL answers are compressed with the encoding the client accepts (brotli before gzip),
 * small ones go out as they are, and a client that accepts none gets plain JSON. In-process: the
 * server's own Response is read byte for byte, with nothing in between to decompress it.
 */
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseEncoding, COMPRESS_MIN_BYTES, compressionLevel, FAST_COMPRESS_MIN_BYTES } from "../../server/graphql/use-compression.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

describe("compressed answers", () => {
  let server: InProcessServer;
  let token: string;

  beforeAll(async () => {
    server = await startInProcessServer();
    token = (await server.signInGuest()).token;
    await syncApi(server, token).push({ dataset: "big", patches: [{ op: "REPLACE", key: "k", value: "x".repeat(4 * COMPRESS_MIN_BYTES) }] });
  });
  afterAll(async () => server?.close());

  const pull = (acceptEncoding: string | null) =>
    server.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...(acceptEncoding ? { "accept-encoding": acceptEncoding } : {}) },
      body: JSON.stringify({ query: `{ records(dataset: "big") { records { value } } }` }),
    });

  it("compresses a large answer with brotli when the client accepts it, and says so", async () => {
    const response = await pull("gzip, deflate, br");
    expect(response.headers.get("content-encoding")).toBe("br");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get("content-length"))).toBe(bytes.length);
    expect(bytes.length).toBeLessThan(COMPRESS_MIN_BYTES);
    expect(JSON.parse(brotliDecompressSync(bytes).toString()).data.records.records[0].value).toHaveLength(4 * COMPRESS_MIN_BYTES);
  });

  it("uses gzip for a client that accepts only gzip, and sends plain JSON to one that accepts nothing", async () => {
    const gzipped = await pull("gzip");
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    expect(JSON.parse(gunzipSync(Buffer.from(await gzipped.arrayBuffer())).toString()).data.records.records).toHaveLength(1);
    const plain = await pull(null);
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect((await plain.json()).data.records.records).toHaveLength(1);
  });

  it("sends a small answer uncompressed whatever the client accepts", async () => {
    const response = await server.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "accept-encoding": "br, gzip" },
      body: JSON.stringify({ query: `{ usage { datasetCount } }` }),
    });
    expect(response.headers.get("content-encoding")).toBeNull();
    expect((await response.json()).data.usage.datasetCount).toBe(1);
  });

  it("compresses a page of many records at a faster level, and the client reads it whole", async () => {
    const value = "record value ".repeat(80);
    const patches = Array.from({ length: 100 }, (_, i) => ({ op: "REPLACE" as const, key: `k${i}`, value }));
    await syncApi(server, token).push({ dataset: "page", patches });
    expect(compressionLevel("gzip", FAST_COMPRESS_MIN_BYTES)).toBeLessThan(compressionLevel("gzip", FAST_COMPRESS_MIN_BYTES - 1));
    expect(compressionLevel("br", FAST_COMPRESS_MIN_BYTES)).toBeLessThan(compressionLevel("br", FAST_COMPRESS_MIN_BYTES - 1));
    for (const encoding of ["gzip", "br"]) {
      const response = await server.fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "accept-encoding": encoding },
        body: JSON.stringify({ query: `{ records(dataset: "page", first: 1000) { records { key value } } }` }),
      });
      expect(response.headers.get("content-encoding")).toBe(encoding);
      const bytes = Buffer.from(await response.arrayBuffer());
      const text = (encoding === "br" ? brotliDecompressSync(bytes) : gunzipSync(bytes)).toString();
      expect(text.length).toBeGreaterThanOrEqual(FAST_COMPRESS_MIN_BYTES);
      expect(JSON.parse(text).data.records.records.map((record: { value: string }) => record.value)).toEqual(patches.map(() => value));
    }
  });

  it("reads Accept-Encoding as HTTP does: q=0 refuses, order does not matter", () => {
    expect(chooseEncoding("br;q=0, gzip")).toBe("gzip");
    expect(chooseEncoding("gzip;q=0.5, br;q=1")).toBe("br");
    expect(chooseEncoding("identity")).toBeNull();
    expect(chooseEncoding(null)).toBeNull();
  });
});
