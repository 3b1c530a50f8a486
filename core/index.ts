/**
 * The public API of `syncpool/core`: the pure rules the server and the client share (types,
 * error codes, clocks, base64, YDOC values, record merge, JSON records, limits). No I/O and no Node built-ins,
 * so it runs in browsers. Anything not exported here is internal.
 */
export type {
  ConflictStrategy,
  Limits,
  Patch,
  PatchOp,
  RecordKind,
  SyncRecord,
} from "./types.js";
export { ERROR_CODES, SyncpoolError, isSyncpoolError } from "./errors.js";
export type { ErrorCode, ErrorDetails } from "./errors.js";
export {
  HybridClock,
  MAX_CLOCK_COUNTER,
  MAX_CLOCK_WALL_MS,
  MAX_DEVICE_ID_LENGTH,
  compareClocks,
  formatClock,
  isClock,
  maxClock,
  parseClock,
  receiveClock,
  tickClock,
  wallMsOf,
} from "./clock.js";
export type { Hlc } from "./clock.js";
export { decodeBase64, encodeBase64 } from "./base64.js";
export {
  canonicalYdocValue,
  mergeYdocValues,
  validateYdocUpdate,
  ydocValuesEqual,
} from "./ydoc.js";
export { mergeRecordStates, stateChanged } from "./merge.js";
export type { RecordState } from "./merge.js";
export { JSON_RECORD_LIMITS, canonicalJson } from "./json-value.js";
export type { JsonInputReason, JsonObject, JsonValue } from "./json-value.js";
export { EMPTY_JSON_STATE, latestJsonClock, mergeJsonStates } from "./json-state.js";
export type { JsonNode, JsonState, JsonWrite } from "./json-state.js";
export {
  applyJsonPut,
  applyJsonRemove,
  applyJsonUpdate,
  materializeJson,
  parseFieldPath,
} from "./json-record.js";
export { decodeJsonState, encodeJsonState, jsonStateSizeBytes } from "./json-codec.js";
export { listOverwrittenJsonWrites } from "./json-overwritten.js";
export type { OverwrittenJsonWrite } from "./json-overwritten.js";
export {
  DATASET_NAME_PATTERN,
  DEFAULT_LIMITS,
  PROTOCOL_LIMITS,
  assertDatasetName,
  assertDeviceId,
  assertMutationId,
  assertPatchCount,
  assertRecordKey,
  assertWellFormed,
  checkClockSkew,
  checkDatasetCount,
  checkDatasetUsage,
  recordSizeBytes,
  utf8Length,
} from "./limits.js";
export { KIND_CHANGE, assertKindKept } from "./kind-change.js";
