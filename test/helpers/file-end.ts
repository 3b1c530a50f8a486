/**
 * Clean-up that a helper module needs at the end of every test file that used it (children to
 * kill, schemas to drop, temporary files to delete). The test projects run several files in one
 * worker without re-importing shared modules (`isolate: false` in `vitest.config.ts`), so a
 * helper's module-level `afterAll` would run for the first file only: helpers register here once,
 * and the setup file `file-end-setup.ts` runs every hook after each file's own `afterAll`s.
 *
 *   onEveryFileEnd(() => { for (const child of children) child.kill("SIGKILL"); });
 */

type Hook = () => unknown;

// On `globalThis`, so that the setup file (re-run for each file) and the helpers (imported once
// per worker) share one list whatever the module cache does.
const registry = Symbol.for("syncpool.test.fileEndHooks");
const hooks: Hook[] = ((globalThis as Record<symbol, Hook[] | undefined>)[registry] ??= []);

/** Runs `hook` at the end of every test file from now on (in this worker). */
export function onEveryFileEnd(hook: Hook): void {
  hooks.push(hook);
}

/** Runs every registered hook, in registration order; all run even when one throws. */
export async function runFileEndHooks(): Promise<void> {
  const failures: unknown[] = [];
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, "clean-up at the end of the test file failed");
}
