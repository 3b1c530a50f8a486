/**
 * The order in which vitest hands test files to its workers (`sequence.sequencer` in
 * `vitest.config.ts`): the longest files first, so that no long file starts last and runs on
 * alone while the other workers sit idle. A file's length is its duration in vitest's cache of the
 * previous run, or, without one (a fresh checkout, CI), the estimate below for the files that are
 * long by nature. Files that failed last time still come first, and each project's files stay
 * together, so that a worker runs file after file of one project without importing the server's
 * modules again (`isolate: false`).
 */
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Seconds each took on an idle 2-core machine: child processes, several servers, long storms, tsc. */
const LONG_BY_NATURE: Record<string, number> = {
  "test/conformance/postgres.test.ts": 30,
  "test/integration/scale-out.test.ts": 25,
  "test/integration/stream-cli.test.ts": 15,
  "test/convergence/client-convergence.test.ts": 15,
  "test/unit/typed-dataset-types.test.ts": 10,
  "test/integration/stream-crash.test.ts": 8,
  "test/integration/graceful-shutdown.test.ts": 8,
  "test/conformance/sqlite.test.ts": 6,
  "test/integration/stream-storm.test.ts": 5,
  "test/integration/crash-durability.test.ts": 5,
  "test/integration/keys-scale-out.test.ts": 5,
  "test/integration/config-cli.test.ts": 5,
  "test/e2e/notes-tabs.test.ts": 4,
};

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const facts = new Map(
      files.map((spec) => {
        const path = relative(root, spec.moduleId);
        const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
        return [spec, { failed: cached?.failed === true, duration: cached?.duration ?? (LONG_BY_NATURE[path] ?? 0) * 1000 }];
      }),
    );
    return [...files].sort((a, b) => {
      const group = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
      if (group !== 0) return group;
      if (a.project.name !== b.project.name) return a.project.name < b.project.name ? -1 : 1;
      const [factsA, factsB] = [facts.get(a)!, facts.get(b)!];
      if (factsA.failed !== factsB.failed) return factsA.failed ? -1 : 1;
      return factsB.duration - factsA.duration;
    });
  }
}
