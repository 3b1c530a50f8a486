/**
 * Peer for pair latency over the live connection: the y-websocket server persisting every update
 * to LevelDB through y-leveldb (y-websocket's own `YPERSISTENCE` setting in `bin/utils`), with
 * `pairs` rooms of two Yjs clients each, all in this one process (as the syncpool side runs its
 * server and devices in one process). One edit at a time, room after room, on the room's first
 * client; latency is from the edit to the room's second client applying it. y-websocket relays an
 * update to the room before LevelDB has written it (y-leveldb's write is not awaited), so this peer
 * is not charged for durability, while syncpool notifies only after its commit.
 *
 *   argv: <pairs> <edits> <leveldb dir>   -> IPC { type: "samples", samples: number[] } then exit
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

// Every provider adds a process "exit" listener.
process.setMaxListeners(0);
const [pairsArg, editsArg, levelDir] = process.argv.slice(2) as [string, string, string];
const pairs = Number(pairsArg);
const edits = Number(editsArg);
const WARMUP_EDITS = 20;
// Read by y-websocket's bin/utils when it is first loaded: set before the import below.
process.env["YPERSISTENCE"] = levelDir;
const { connectYClient, listenYWebsocket, whenSynced } = await import("../lib/yjs-cjs.js");

const yServer = await listenYWebsocket();
const url = yServer.url;

type Client = ReturnType<typeof connectYClient>;
const rooms: Array<{ writer: Client; reader: Client }> = [];
let waiting: { room: number; value: number; resolve: (arrivedAt: number) => void } | null = null;
for (let opened = 0; opened < pairs; opened += 100) {
  const batch = Array.from({ length: Math.min(100, pairs - opened) }, async (_, offset) => {
    const room = opened + offset;
    const writer = connectYClient(url, `room-${room}`, WebSocket);
    const reader = connectYClient(url, `room-${room}`, WebSocket);
    reader.doc.on("update", () => {
      if (waiting?.room === room && reader.doc.getMap("m").get("k") === waiting.value) waiting.resolve(performance.now());
    });
    rooms[room] = { writer, reader };
    await Promise.all([whenSynced(writer.provider), whenSynced(reader.provider)]);
  });
  await Promise.all(batch);
}

const samples: number[] = [];
for (let edit = 0; edit < WARMUP_EDITS + edits; edit++) {
  const room = edit % pairs;
  const arrived = new Promise<number>((resolve, reject) => {
    waiting = { room, value: edit, resolve };
    setTimeout(() => reject(new Error(`edit ${edit}: room ${room}'s second client did not hear it within 30 s`)), 30_000).unref();
  });
  const sentAt = performance.now();
  rooms[room]!.writer.doc.getMap("m").set("k", edit);
  const arrivedAt = await arrived;
  if (edit >= WARMUP_EDITS) samples.push(arrivedAt - sentAt);
}
process.send!({ type: "samples", samples }, () => {
  for (const { writer, reader } of rooms) {
    writer.provider.destroy();
    reader.provider.destroy();
  }
  yServer.close();
  process.exit(0);
});
