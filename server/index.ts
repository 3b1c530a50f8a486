/**
 * The package's server entry: its public surface. Anything not listed here is internal and may change.
 */
export { createSyncpoolServer, type SyncpoolServer, type SyncpoolServerOptions } from "./create-server.js";
export { loadConfig, ConfigError, type ServerConfig, type ConfigOverrides, type PoolSettings } from "./config.js";
export { createLogger, silentLogger, type Logger } from "./logger.js";
export { startServer, type RunningServer, type StartServerOptions } from "./node.js";
export type { Storage } from "./storage/storage.js";
export type { StreamHandler, StreamRecord } from "./stream/consumer.js";
export type { StreamEventBody, KinesisSyncRecord } from "./stream/event-body.js";
export type { StreamOptions } from "./stream/stream-runtime.js";
export type { SyncTriggerEvent } from "./stream/trigger-contract.js";
export { verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./stream/signature.js";
