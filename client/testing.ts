/**
 * syncpool/client/testing: helpers for app developers' tests. Not needed in production code.
 *
 *   import { createOfflineSwitch } from "syncpool/client/testing";
 *
 * See docs/client.md, "Testing offline".
 */
export { createOfflineSwitch, type OfflineSwitch, type OfflineSwitchOptions, type OnlineTarget } from "./transport/offline-switch.js";
