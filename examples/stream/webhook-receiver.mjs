/**
 * An example webhook receiver (docs/events.md): checks each request's signature, prints the event
 * as one JSON line, answers 204 (or 401 for a bad signature, which syncpool retries and finally
 * dead-letters). Plain Node, no dependencies.
 *
 *   SECRET=change-me-to-a-long-random-secret PORT=8787 node examples/stream/webhook-receiver.mjs
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.SECRET ?? "change-me-to-a-long-random-secret";
const seen = new Set(); // event ids: delivery is at least once, so drop repeats

function verified(body, timestamp, signature) {
  if (!timestamp || !signature || Math.abs(Date.now() - Number(timestamp)) > 5 * 60_000) return false;
  const expected = Buffer.from(`v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const server = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    if (!verified(body, request.headers["x-syncpool-timestamp"], request.headers["x-syncpool-signature"])) {
      response.writeHead(401).end();
      return;
    }
    const id = request.headers["x-syncpool-event-id"];
    if (!seen.has(id)) {
      seen.add(id);
      process.stdout.write(`${JSON.stringify({ id, event: JSON.parse(body) })}\n`);
    }
    response.writeHead(204).end();
  });
});

server.listen(Number(process.env.PORT ?? 8787), "127.0.0.1", () => {
  process.stderr.write(`webhook receiver listening on http://127.0.0.1:${server.address().port}/events\n`);
});
