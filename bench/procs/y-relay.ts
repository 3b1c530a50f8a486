/**
 * Peer baseline for push-to-notify: the y-websocket server relaying one Yjs client's edits to
 * `subscribers` other Yjs clients of the same room, all in this one process (as the syncpool
 * scenario runs its server and devices in one process), so both pay their fan-out on one event
 * loop. Latency is from the writer's edit (the provider sends the update synchronously inside it)
 * to each subscriber's doc applying it.
 *
 *   argv: <subscribers> <edits>   -> IPC { type: "samples", samples: number[] } then exit
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { connectYClient, listenYWebsocket, whenSynced, type YProvider } from "../lib/yjs-cjs.js";

// Every provider adds a process "exit" listener.
process.setMaxListeners(0);
const [subscribers, edits] = process.argv.slice(2).map(Number) as [number, number];
const WARMUP_EDITS = 3;

const yServer = await listenYWebsocket();
const url = yServer.url;

const providers: YProvider[] = [];
let arrivals: number[] = [];
let expected = -1;
let onAll: (() => void) | undefined;
for (let opened = 0; opened < subscribers; opened += 200) {
  const batch = Array.from({ length: Math.min(200, subscribers - opened) }, () => {
    const { doc, provider } = connectYClient(url, "bench", WebSocket);
    doc.on("update", () => {
      if (doc.getMap("m").get("k") !== expected) return;
      arrivals.push(performance.now());
      if (arrivals.length === subscribers) onAll?.();
    });
    providers.push(provider);
    return whenSynced(provider);
  });
  await Promise.all(batch);
}
const writer = connectYClient(url, "bench", WebSocket);
await whenSynced(writer.provider);

const samples: number[] = [];
for (let edit = 0; edit < WARMUP_EDITS + edits; edit++) {
  arrivals = [];
  expected = edit;
  const delivered = new Promise<void>((resolve, reject) => {
    onAll = resolve;
    setTimeout(() => reject(new Error(`edit ${edit}: ${arrivals.length} of ${subscribers} subscribers heard it within 30 s`)), 30_000).unref();
  });
  const sentAt = performance.now();
  writer.doc.getMap("m").set("k", edit);
  await delivered;
  if (edit >= WARMUP_EDITS) samples.push(...arrivals.map((arrivedAt) => arrivedAt - sentAt));
}
process.send!({ type: "samples", samples }, () => {
  for (const provider of [...providers, writer.provider]) provider.destroy();
  yServer.close();
  process.exit(0);
});
