/**
 * Baselines of the `ws` library alone, in this process: the round trip of one small message to
 * an echo server, and one small message broadcast by a plain server to N sockets (the fan-out
 * floor for push-to-notify at N subscribers: no GraphQL, no auth, no storage).
 */
import { performance } from "node:perf_hooks";
import WebSocket, { WebSocketServer } from "ws";

/** Round trips (ms) of a small JSON message over one connection. */
export async function measureWsEcho(roundTrips: number): Promise<number[]> {
  const server = await listeningServer();
  server.on("connection", (socket) => socket.on("message", (data) => socket.send(data)));
  const client = await openSocket(server);
  const samples: number[] = [];
  const warmup = 100;
  for (let round = 0; round < roundTrips + warmup; round++) {
    const sentAt = performance.now();
    const echoed = new Promise((resolve) => client.once("message", resolve));
    client.send(JSON.stringify({ round, payload: "value" }));
    await echoed;
    if (round >= warmup) samples.push(performance.now() - sentAt);
  }
  client.close();
  await new Promise((resolve) => server.close(resolve));
  return samples;
}

/** Latency (ms) from a plain server's send loop to each of `count` sockets' arrival, over `rounds` broadcasts. */
export async function measureWsBroadcast(count: number, rounds: number): Promise<number[]> {
  const server = await listeningServer();
  const clients: WebSocket[] = [];
  for (let opened = 0; opened < count; opened += 200) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(200, count - opened) }, () => openSocket(server)))));
  }
  while (server.clients.size < count) await new Promise((resolve) => setTimeout(resolve, 10));
  const samples: number[] = [];
  const warmup = 3;
  for (let round = 0; round < rounds + warmup; round++) {
    const times: number[] = [];
    const all = new Promise<void>((resolve) => {
      for (const client of clients) {
        client.once("message", () => {
          times.push(performance.now());
          if (times.length === count) resolve();
        });
      }
    });
    const sentAt = performance.now();
    const message = JSON.stringify({ data: { datasetChanged: { syncCount: round, records: [{ key: "k", value: `value ${round}` }] } } });
    for (const socket of server.clients) socket.send(message);
    await all;
    if (round >= warmup) samples.push(...times.map((time) => time - sentAt));
  }
  for (const client of clients) client.terminate();
  await new Promise((resolve) => server.close(resolve));
  return samples;
}

async function listeningServer(): Promise<WebSocketServer> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  return server;
}

function openSocket(server: WebSocketServer): Promise<WebSocket> {
  const { port } = server.address() as { port: number };
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
  });
}
