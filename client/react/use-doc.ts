/**
 * `useDoc`: the `Y.Doc` bound to a YDOC record of the signed-in identity. The component re-renders
 * on every change to the doc (local or synced), so it can render straight from the doc; on
 * sign-out it gets null, and after another sign-in that identity's own doc.
 */
import { useCallback, useMemo, useSyncExternalStore } from "react";
import type * as Y from "yjs";
import { useSyncClient } from "./syncpool-provider.js";
import { useIdentity } from "./use-identity.js";

/** The bound doc of record `key` in dataset `datasetName`, or null while signed out. */
export function useDoc(datasetName: string, key: string): Y.Doc | null {
  const client = useSyncClient();
  const identityId = useIdentity();
  const doc = useMemo(
    () => (identityId === null ? null : client.dataset(datasetName).doc(key)),
    [client, identityId, datasetName, key],
  );
  // A counter bumped on each update: the snapshot changes, so React re-renders.
  const version = useMemo(() => ({ count: 0 }), [doc]);
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (!doc) return () => {};
      const onUpdate = () => {
        version.count += 1;
        onChange();
      };
      doc.on("update", onUpdate);
      return () => doc.off("update", onUpdate);
    },
    [doc, version],
  );
  useSyncExternalStore(subscribe, () => version.count, () => version.count);
  return doc;
}
