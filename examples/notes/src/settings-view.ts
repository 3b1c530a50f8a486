/**
 * The `settings` dataset: one STRING record, `theme` ("light" or "dark"), applied to the page as
 * `<html data-theme>`. A change on one device themes the others after their next sync.
 */
import type { SyncClient } from "../../../client/index.js";
import { byId, listen } from "./dom.js";

/** The themes the stylesheet knows. */
export const THEMES = ["light", "dark"] as const;

/** Binds the theme picker to the `theme` setting; returns the function that stops. */
export function mountSettings(client: SyncClient): () => void {
  const settings = client.dataset("settings");
  const picker = byId<HTMLSelectElement>("theme");
  const stopWatching = settings.watch("theme", (value) => {
    const theme = (THEMES as readonly string[]).includes(value ?? "") ? (value as string) : "light";
    document.documentElement.dataset.theme = theme;
    picker.value = theme;
  });
  const stopListening = listen(picker, "change", () => void settings.put("theme", picker.value));
  return () => {
    stopWatching();
    stopListening();
  };
}
