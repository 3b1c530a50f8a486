/**
 * Pools: every identity pool with its limits, and its full settings (roles, providers, stream,
 * triggers) as the admin API shows them, secrets masked by the server. New pools can be created
 * here; changing an existing pool's settings is not in the admin API (config file pools are
 * rewritten on start), so the page shows them read-only.
 */
import type { AdminApi } from "./admin-api.js";
import { formatTime, h, replace } from "./dom.js";
import type { ConsolePage } from "./nav.js";

interface PoolRow {
  id: string;
  region: string;
  allowGuests: boolean;
  createdAt: number;
  limits: { maxDatasets: number; maxRecords: number; maxDatasetBytes: number; maxClockSkewMs: number };
}

const POOLS = `{ identityPools { id region allowGuests createdAt limits { maxDatasets maxRecords maxDatasetBytes maxClockSkewMs } } }`;
const SETTINGS = `query ($id: String!) { identityPoolSettings(identityPoolId: $id) }`;
const CREATE = `mutation ($input: CreateIdentityPoolInput!) { createIdentityPool(input: $input) { id } }`;

/** The pools page (see the module comment). */
export const poolsPage: ConsolePage = {
  id: "pools",
  title: "Identity pools",
  render(container, api, showError) {
    const list = h("div", { id: "pool-list" }, "Loading...");
    const load = () =>
      api
        .gql<{ identityPools: PoolRow[] }>(POOLS)
        .then(async ({ identityPools }) => replace(list, ...(await Promise.all(identityPools.map((pool) => poolCard(api, pool))))))
        .catch(showError);
    container.append(createForm(api, load, showError), list);
    void load();
    return () => undefined;
  },
};

async function poolCard(api: AdminApi, pool: PoolRow) {
  const { identityPoolSettings } = await api.gql<{ identityPoolSettings: Record<string, unknown> | null }>(SETTINGS, { id: pool.id });
  const settings = identityPoolSettings ?? {};
  const { limits } = pool;
  return h(
    "section",
    { class: "card pool", "data-pool": pool.id },
    h("h3", {}, pool.id),
    h(
      "dl",
      {},
      h("dt", {}, "Region"), h("dd", {}, pool.region),
      h("dt", {}, "Guests"), h("dd", {}, pool.allowGuests ? "allowed" : "not allowed"),
      h("dt", {}, "Created"), h("dd", {}, formatTime(pool.createdAt)),
      h("dt", {}, "Limits"), h("dd", {}, `${limits.maxDatasets} datasets, ${limits.maxRecords} records and ${limits.maxDatasetBytes} bytes per dataset, clock skew ${limits.maxClockSkewMs} ms`),
    ),
    section("Roles", { roles: settings["roles"], guestRole: settings["guestRole"], authenticatedRole: settings["authenticatedRole"], roleMappings: settings["roleMappings"] }),
    section("Login providers", { providers: settings["providers"], developerProvider: settings["developerProvider"], developerCredentials: settings["developerCredentials"] }),
    section("All settings (secrets masked)", settings),
  );
}

function section(title: string, value: unknown) {
  return h("details", {}, h("summary", {}, title), h("pre", {}, JSON.stringify(value ?? null, null, 2)));
}

function createForm(api: AdminApi, reload: () => Promise<void>, showError: (error: unknown) => void) {
  const id = h("input", { name: "id", placeholder: "pool id (generated when empty)" });
  const guests = h("input", { name: "allowGuests", type: "checkbox", checked: true });
  return h(
    "form",
    {
      class: "card inline",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const input = { ...(id.value.trim() ? { id: id.value.trim() } : {}), allowGuests: guests.checked };
        api.gql(CREATE, { input }).then(() => ((id.value = ""), reload()), showError);
      },
    },
    h("strong", {}, "New pool "),
    id,
    h("label", {}, guests, " guests allowed"),
    h("button", { type: "submit" }, "Create"),
  );
}
