/**
 * Starts a DataStore device (test/helpers/datastore-device.cjs, or the user-pool app of
 * test/helpers/datastore-user-pool-device.cjs) as a child process and drives it over IPC. Killing
 * the process is the whole cleanup: DataStore, its IndexedDB and its sockets live and die with it,
 * so nothing is left in the test worker. The process runs the script as bundled once for the
 * run (`cli-build.ts`; the first device may wait for that build), or as written without that
 * global setup.
 *
 *   const phone = await startDevice(endpoint, { apiKey });
 *   await phone.run("start");
 *   await phone.run("save", { model: "Todo", fields: { title: "milk" } });
 */
import { fork, type ChildProcess } from "node:child_process";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runBuild } from "./run-build.js";

const DEVICE = fileURLToPath(new URL("./datastore-device.cjs", import.meta.url));
const USER_POOL_DEVICE = fileURLToPath(new URL("./datastore-user-pool-device.cjs", import.meta.url));

/** A DataStore device process and the commands it takes (listed in its .cjs file). */
export interface Device {
  run<T = any>(command: string, args?: Record<string, unknown>): Promise<T>;
  kill(): void;
}

/** What the device's network carried, from its `wire` command. */
export interface DeviceWire {
  /** `sync<Models>` requests sent (base and delta sync pages). */
  syncQueries: number;
  /** Realtime `start_ack` frames received, in all. */
  startAcks: number;
  /** Subscriptions acknowledged and still open on the device's sockets now. */
  openSubscriptions: number;
  /** Realtime `data` frames received. */
  dataFrames: number;
}

/** The credentials a device is configured with: an API key, a syncpool identity token, or both. */
export type DeviceCredentials = { apiKey: string; token?: string } | { apiKey?: string; token: string };

/** Starts a device against the model API at `endpoint`; resolves once its process is ready. */
export function startDevice(endpoint: string, credentials: DeviceCredentials): Promise<Device> {
  return startDeviceProcess(DEVICE, { endpoint, ...credentials });
}

/**
 * Starts an app configured for AMAZON_COGNITO_USER_POOLS against the model API at `endpoint`,
 * its Amplify Auth signing in at the user pool at `userPoolEndpoint`; resolves once it is ready.
 */
export function startUserPoolDevice(endpoint: string, userPoolEndpoint: string): Promise<Device> {
  return startDeviceProcess(USER_POOL_DEVICE, { endpoint, userPoolEndpoint });
}

/** The bundled copy of `script` once the run's build has ended, or `script` itself without one. */
async function runnableScript(script: string): Promise<string> {
  const build = await runBuild();
  return build ? join(build.devicesDir, basename(script)) : script;
}

/** Forks `script` with `options` as its JSON argument and drives it over IPC. */
async function startDeviceProcess(script: string, options: Record<string, unknown>): Promise<Device> {
  const name = basename(script);
  const child: ChildProcess = fork(await runnableScript(script), [JSON.stringify(options)], { execArgv: [], stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}) before it was ready: ${stderr}`)));
  });
  child.on("message", (message: { id?: number; result?: unknown; error?: string }) => {
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  child.once("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${name} exited (${code}): ${stderr}`));
    pending.clear();
  });
  return {
    run: (command, args) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, command, args });
      }),
    kill: () => child.kill("SIGKILL"),
  };
}
