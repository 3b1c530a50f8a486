/**
 * What a Node process needs to run Amplify DataStore unmodified, as a browser gives it, for the
 * test's DataStore processes (datastore-device.cjs, datastore-user-pool-device.cjs); the libraries
 * stay untouched:
 * - IndexedDB, on fake-indexeddb (installed as soon as this module loads);
 * - a global `WebSocket` (`ws`; Node 20 has none, and without one realtime fails silently while sync
 *   goes on) that hands each frame it receives to the process's own record of the wire;
 * - DataStore loaded with `require`, as the IndexedDB adapter it is given: an ESM import of
 *   aws-amplify would configure a second copy DataStore never reads.
 */
require("fake-indexeddb/auto");
const { WebSocket: NodeWebSocket } = require("ws");

/**
 * Makes `globalThis.WebSocket` a `ws` socket that calls `onSocket(socket)` as it is made and
 * `onFrame(frame, socket)` with each JSON frame it receives. With `plainHttp` a `wss://` address
 * is opened as `ws://` on the same host and port: aws-amplify always asks for `wss://`, and the
 * plain test server stands in for the TLS a deployment puts in front of syncpool.
 */
function installWebSocket({ plainHttp, onSocket = () => {}, onFrame }) {
  class DeviceWebSocket extends NodeWebSocket {
    constructor(url, protocols) {
      super(plainHttp ? String(url).replace(/^wss:\/\//, "ws://") : url, protocols);
      // The provider sets onerror itself; this keeps an early failure from being an unhandled 'error'.
      this.on("error", () => {});
      this.on("message", (data) => {
        let frame;
        try {
          frame = JSON.parse(String(data));
        } catch {
          return;
        }
        onFrame(frame, this);
      });
      onSocket(this);
    }
  }
  globalThis.WebSocket = DeviceWebSocket;
}

/**
 * `aws-amplify/datastore`'s exports and the `IndexedDBAdapter` to configure it with. `window`, when
 * given, is the global `window` while DataStore loads (its reachability monitor reads
 * `navigator.onLine` and the `online`/`offline` events from it), gone afterwards so the rest of
 * Amplify still sees Node. Load `aws-amplify` first.
 */
function loadDataStore(window) {
  if (window) globalThis.window = window;
  const datastore = require("aws-amplify/datastore");
  if (window) delete globalThis.window;
  const IndexedDBAdapter = require("@aws-amplify/datastore/dist/cjs/storage/adapter/IndexedDBAdapter").default;
  return { ...datastore, IndexedDBAdapter };
}

module.exports = { installWebSocket, loadDataStore };
