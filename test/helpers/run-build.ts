/**
 * The run's bundles (`cli-build.ts`, a global setup: the `syncpool` CLI and the DataStore device
 * scripts) as a test worker sees them. One wait per worker, whoever asks first: the CLI's children
 * (`cli.ts`) and the DataStore devices (`datastore-device.ts`) share it.
 */
import { existsSync, readFileSync, watch } from "node:fs";
import { dirname } from "node:path";
import { inject } from "vitest";
import type { CliBuild } from "./cli-build.js";

let ended: Promise<CliBuild> | undefined;

/** Where the bundles are once the run's build has ended (rejects with its error); undefined without that global setup. */
export async function runBuild(): Promise<CliBuild | undefined> {
  const build = inject("cliBuild");
  if (!build) return undefined;
  return (ended ??= whenEnded(build));
}

/** Watches the build's directory for its result file, which appears in one rename. */
function whenEnded(build: CliBuild): Promise<CliBuild> {
  return new Promise((resolveBuild, reject) => {
    const settleIfEnded = () => {
      if (!existsSync(build.resultFile)) return;
      watcher.close();
      const { error } = JSON.parse(readFileSync(build.resultFile, "utf8")) as { error: string | null };
      if (error === null) resolveBuild(build);
      else reject(new Error(error));
    };
    const watcher = watch(dirname(build.resultFile), settleIfEnded);
    // The build may have ended before the watch began.
    settleIfEnded();
  });
}
