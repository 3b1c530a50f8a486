/**
 * A vitest global setup of the browser project: builds the notes app (examples/notes) for
 * production once per run, into a temporary directory, and hands its path to the tests
 * (`inject("notesAppDir")`, used by `notes-app.ts`). Every notes test serves the same files (the
 * sync server and the family backend are the preview server's, not the build's), so building it
 * for each file only cost time. Built from the working tree at the start of every run, deleted at
 * the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "vite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The notes app's production build. */
    notesAppDir: string;
  }
}

/** The notes app's Vite config. */
export const NOTES_CONFIG_FILE = resolve(import.meta.dirname, "../../examples/notes/vite.config.ts");

export default async function setup(project: TestProject): Promise<() => void> {
  const outDir = mkdtempSync(join(tmpdir(), "syncpool-notes-"));
  await build({ configFile: NOTES_CONFIG_FILE, mode: "production", logLevel: "warn", build: { outDir, emptyOutDir: true } });
  project.provide("notesAppDir", outDir);
  return () => rmSync(outDir, { recursive: true, force: true });
}
