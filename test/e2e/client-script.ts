/**
 * The client library bundled for a page, as `window.syncpool` (an IIFE): for browser tests that
 * drive the client directly rather than through the notes app. Bundles `client/index.ts` and the
 * offline switch of `client/testing.ts`.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The bundle's text, to add to a page with `page.addScriptTag({ content })`. */
export async function bundleClientForPage(): Promise<string> {
  const result = await build({
    stdin: {
      contents: 'export * from "./client/index.ts"; export { createOfflineSwitch } from "./client/testing.ts";',
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "iife",
    globalName: "syncpool",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}
