/**
 * A vitest setup file (every project, every test file): runs the helpers' end-of-file clean-up
 * (`file-end.ts`). Registered before the file's own hooks, so it runs after its `afterAll`s (vitest
 * runs after-hooks in reverse order): servers are closed before their schemas are dropped.
 */
import { afterAll } from "vitest";
import { runFileEndHooks } from "./file-end.js";

afterAll(runFileEndHooks);
