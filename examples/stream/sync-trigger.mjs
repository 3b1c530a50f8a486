/**
 * An example sync trigger (docs/events.md). syncpool calls the default export inside every push
 * to a dataset of the pool, before anything is committed, with Cognito's SyncTrigger event; what
 * it returns is what gets stored. This one looks after a "profile" dataset:
 * - change: values are trimmed;
 * - reject: a nickname over 20 characters refuses the whole push (TRIGGER_REJECTED);
 * - remove: a "draft" key is never stored (a key left out of the answer is not written);
 * - add: "updatedBy" records which device wrote last.
 * It may run more than once for one push, so it only computes: no side effects.
 */
export default function syncTrigger(event) {
  if (event.datasetName !== "profile") return event;
  const records = event.datasetRecords;
  for (const [key, record] of Object.entries(records)) {
    if (record.op !== "replace") continue;
    record.newValue = record.newValue.trim();
    if (key === "nickname" && record.newValue.length > 20) {
      return { reject: { message: "nickname: at most 20 characters" } };
    }
  }
  delete records.draft;
  records.updatedBy = { op: "replace", newValue: event.deviceId };
  return event;
}
