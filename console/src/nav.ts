/**
 * The console's pages, in navigation order. A page renders into its container and returns a
 * function that stops what it started (polling timers); the router calls it on leaving.
 */
import type { AdminApi } from "./admin-api.js";
import { chartsPage } from "./charts-page.js";
import { identitiesPage } from "./identities-page.js";
import { poolsPage } from "./pools-page.js";
import { streamPage } from "./stream-page.js";

/** One page of the console. */
export interface ConsolePage {
  /** The hash route: `#/<id>`. Only page names go in the URL, never a token or data. */
  id: string;
  title: string;
  /** Renders into `container`; answers the function that stops it. */
  render(container: HTMLElement, api: AdminApi, showError: (error: unknown) => void): () => void;
}

/** Every page, in the order of the navigation bar. */
export const PAGES: readonly ConsolePage[] = [
  poolsPage,
  identitiesPage,
  streamPage,
  chartsPage,
  // User pools (server/user-pool/) get their page here, once the admin API has their queries:
  // a `userPoolsPage` in its own file, added to this list.
];
