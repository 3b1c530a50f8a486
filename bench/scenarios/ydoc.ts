/**
 * Scenario 6, YDOC records: 1,000 concurrent small edits to one Yjs document record. Each edit is
 * made by its own Yjs client from the same base state (a 3-character insert at a random place in
 * a Y.Text) and pushed as an incremental update; 64 pushes are in flight at a time, and the
 * server serializes them on the dataset and merges each into the stored value
 * (`mergeYdocIncrementally`: the update's bytes spliced into the stored update, compacted by a
 * load and re-encode only when the slack calls for it).
 *
 * Reported: the server's merge time per edit (the same merges timed in this process with the
 * server's own function, since the push latency also holds HTTP, GraphQL and the commit), the
 * wall time to land all 1,000 pushes, and the stored size. Baseline: Yjs alone, applying the same
 * 1,000 updates to one in-memory Y.Doc, and its encoded state's size.
 */
import { performance } from "node:perf_hooks";
import * as Y from "yjs";
import { canonicalYdocValue } from "../../core/ydoc.js";
import { mergeYdocIncrementally } from "../../core/ydoc-append.js";
import { startChildServer } from "../lib/child-server.js";
import { gql, pushRecords, signInGuest } from "../lib/gql.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";
import { summarize } from "../lib/stats.js";

const IN_FLIGHT = 64;

/** Runs scenario 6: 1,000 edits, the size; the quick run makes 250. */
export async function runYdoc(quick: boolean): Promise<ScenarioResult> {
  const EDITS = quick ? 250 : 1000;
  const base = new Y.Doc();
  base.getText("body").insert(0, "Meeting notes: ");
  const baseUpdate = Y.encodeStateAsUpdate(base);
  const baseVector = Y.encodeStateVector(base);
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const edits = Array.from({ length: EDITS }, (_, index) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, baseUpdate);
    const text = doc.getText("body");
    text.insert(Math.floor(random() * (text.length + 1)), String(index % 1000).padStart(3, "0"));
    const update = Y.encodeStateAsUpdate(doc, baseVector);
    doc.destroy();
    return update;
  });

  // The server's merge, timed alone: each edit merged into the value so far, in arrival order.
  const mergeTimes: number[] = [];
  let merged = canonicalYdocValue(toBase64(baseUpdate));
  for (const edit of edits) {
    const started = performance.now();
    merged = mergeYdocIncrementally(merged, toBase64(edit)).value;
    mergeTimes.push(performance.now() - started);
  }
  // Yjs alone: the same updates applied to one document.
  const yjsTimes: number[] = [];
  const reference = new Y.Doc();
  Y.applyUpdate(reference, baseUpdate);
  for (const edit of edits) {
    const started = performance.now();
    Y.applyUpdate(reference, edit);
    yjsTimes.push(performance.now() - started);
  }
  const yjsBytes = Y.encodeStateAsUpdate(reference).length;

  // Through the server.
  const server = await startChildServer("syncpool", { storage: "sqlite" });
  try {
    const guest = await signInGuest(server.url);
    await pushRecords(server.url, guest.token, { dataset: "docs", deviceId: "author", mutationId: "base", patches: [{ op: "REPLACE", key: "notes", kind: "YDOC", value: toBase64(baseUpdate) }] });
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, lane) => {
        while (next < EDITS) {
          const index = next++;
          const sentAt = performance.now();
          await pushRecords(server.url, guest.token, { dataset: "docs", deviceId: `editor-${lane}`, mutationId: `edit-${index}`, patches: [{ op: "REPLACE", key: "notes", kind: "YDOC", value: toBase64(edits[index]!) }] });
          latencies.push(performance.now() - sentAt);
        }
      }),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const { records } = await gql<{ records: { records: Array<{ key: string; value: string }> } }>(
      server.url,
      `query { records(dataset: "docs") { records { key value } } }`,
      {},
      guest.token,
    );
    const stored = Buffer.from(records.records.find((record) => record.key === "notes")!.value, "base64");
    const check = new Y.Doc();
    Y.applyUpdate(check, stored);
    const textLength = check.getText("body").length;
    if (textLength !== reference.getText("body").length) throw new Error(`the stored document has ${textLength} characters, Yjs alone ${reference.getText("body").length}`);

    const merge = summarize(mergeTimes);
    const yjs = summarize(yjsTimes);
    const push = summarize(latencies);
    const rows: ResultRow[] = [
      {
        scenario: "6 YDOC",
        case: `server merge time per edit (${EDITS.toLocaleString("en-US")} concurrent edits, one record)`,
        value: merge.medianMs,
        p99: merge.p99Ms,
        unit: "ms",
        better: "lower",
        baselines: [{ name: "Yjs applyUpdate per edit", value: yjs.medianMs, p99: yjs.p99Ms }],
      },
      {
        scenario: "6 YDOC",
        case: `all ${EDITS.toLocaleString("en-US")} edits pushed (${IN_FLIGHT} in flight) until the last commits`,
        value: wallSeconds,
        unit: "s",
        better: "lower",
        baselines: [{ name: "Yjs applying all in memory", value: yjsTimes.reduce((sum, time) => sum + time, 0) / 1000 }],
      },
      {
        scenario: "6 YDOC",
        case: "stored size of the merged document",
        value: stored.length,
        unit: "B",
        better: "lower",
        baselines: [{ name: "Yjs encodeStateAsUpdate", value: yjsBytes }],
      },
    ];
    return {
      name: "ydoc",
      title: "YDOC records",
      rows,
      details: { edits: EDITS, inFlight: IN_FLIGHT, mergePerEdit: merge, mergeTotalMs: mergeTimes.reduce((sum, time) => sum + time, 0), yjsApplyPerEdit: yjs, pushLatency: push, wallSeconds, storedBytes: stored.length, yjsBytes, textLength },
      charts: [
        {
          file: "ydoc-merge.svg",
          title: "YDOC merge time per edit as the document grows (lower is better)",
          xLabel: "edit number",
          yLabel: "ms per merge",
          kind: "line",
          series: [
            { name: "syncpool mergeYdocIncrementally", points: bucket(mergeTimes) },
            { name: "Yjs applyUpdate", points: bucket(yjsTimes) },
          ],
        },
      ],
    };
  } finally {
    await server.stop();
  }
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** Means of 10 buckets, so the line shows the trend rather than every sample. */
function bucket(times: number[]): Array<[number, number]> {
  const size = Math.ceil(times.length / 10);
  return Array.from({ length: Math.ceil(times.length / size) }, (_, index) => {
    const slice = times.slice(index * size, (index + 1) * size);
    return [(index + 1) * size, slice.reduce((sum, time) => sum + time, 0) / slice.length];
  });
}
