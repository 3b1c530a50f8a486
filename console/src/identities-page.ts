/**
 * Identities: list a pool's identities, search one by id or by login, and for the chosen one its
 * datasets with usage bars against the pool's limits, each dataset's records (decoded by kind,
 * `record-value.ts`), deleting a dataset, and disabling the identity. Destructive buttons ask for
 * a second click instead of a dialog.
 */
import type { AdminApi } from "./admin-api.js";
import { formatTime, h, replace } from "./dom.js";
import type { ConsolePage } from "./nav.js";
import { renderRecordValue } from "./record-value.js";
import { usageBar } from "./usage-bar.js";

interface IdentityView {
  identityId: string;
  identityPoolId: string;
  hasDeviceSecret: boolean;
  createdAt: number;
  disabledAt: number | null;
  mergedInto: string | null;
  logins: Array<{ provider: string; subject: string }>;
}
interface DatasetView {
  name: string;
  recordCount: number;
  sizeBytes: number;
  syncCount: number;
  lastModifiedAt: number;
}
interface Limits {
  maxDatasets: number;
  maxRecords: number;
  maxDatasetBytes: number;
}

const IDENTITY = "identityId identityPoolId hasDeviceSecret createdAt disabledAt mergedInto logins { provider subject }";
const POOLS = `{ identityPools { id } }`;
const LIST = `query ($pool: String!) { identities(identityPoolId: $pool, first: 50) { identities { ${IDENTITY} } } }`;
const BY_ID = `query ($id: String!) { identity(identityId: $id) { ${IDENTITY} } }`;
const BY_LOGIN = `query ($pool: String!, $provider: String!, $subject: String!) { identityByLogin(identityPoolId: $pool, provider: $provider, subject: $subject) { ${IDENTITY} } }`;
const DATASETS = `query ($id: String!) { identityDatasets(identityId: $id) { usage { datasetCount sizeBytes limits { maxDatasets maxRecords maxDatasetBytes } } datasets { name recordCount sizeBytes syncCount lastModifiedAt } } }`;
const RECORDS = `query ($id: String!, $dataset: String!) { identityRecords(identityId: $id, dataset: $dataset, first: 500) { records { key value kind syncCount lastModifiedBy lastModifiedAt deleted } } }`;
const DELETE = `mutation ($id: String!, $dataset: String!) { deleteIdentityDataset(identityId: $id, dataset: $dataset) { deleted } }`;
const DISABLE = `mutation ($id: String!) { disableIdentity(identityId: $id) { ${IDENTITY} } }`;

/** The identities page (see the module comment). */
export const identitiesPage: ConsolePage = {
  id: "identities",
  title: "Identities",
  render(container, api, showError) {
    const pool = h("select", { id: "identity-pool", "aria-label": "Pool" });
    const query = h("input", { id: "identity-search", placeholder: "identity id, or provider:subject of a login", size: 48 });
    const list = h("ul", { id: "identity-list", class: "list" });
    const detail = h("div", { id: "identity-detail" });

    const show = (identity: IdentityView | null) =>
      identity === null ? replace(detail, h("p", { class: "hint" }, "No such identity.")) : void showIdentity(api, detail, identity, showError);
    const loadList = () =>
      api
        .gql<{ identities: { identities: IdentityView[] } }>(LIST, { pool: pool.value })
        .then(({ identities }) =>
          replace(list, ...identities.identities.map((identity) => h("li", {}, h("a", { href: "#/identities", onclick: (event: Event) => (event.preventDefault(), show(identity)) }, identity.identityId), identity.disabledAt ? " (disabled)" : ""))),
        )
        .catch(showError);
    const search = (event: Event) => {
      event.preventDefault();
      const text = query.value.trim();
      // An identity id is `<region>:<uuid>`; anything else with a colon is `provider:subject` (the provider may hold colons).
      const isId = /^[a-z0-9-]+:[0-9a-f-]{36}$/.test(text);
      const separator = text.lastIndexOf(":");
      const request = isId
        ? api.gql<{ identity: IdentityView | null }>(BY_ID, { id: text }).then((data) => data.identity)
        : api.gql<{ identityByLogin: IdentityView | null }>(BY_LOGIN, { pool: pool.value, provider: text.slice(0, separator), subject: text.slice(separator + 1) }).then((data) => data.identityByLogin);
      request.then(show, showError);
    };

    pool.addEventListener("change", () => void loadList());
    container.append(h("form", { class: "card inline", onsubmit: search }, pool, query, h("button", { type: "submit" }, "Find")), h("div", { class: "columns" }, list, detail));
    api
      .gql<{ identityPools: Array<{ id: string }> }>(POOLS)
      .then(({ identityPools }) => {
        replace(pool, ...identityPools.map((candidate) => h("option", { value: candidate.id }, candidate.id)));
        return loadList();
      })
      .catch(showError);
    return () => undefined;
  },
};

async function showIdentity(api: AdminApi, detail: HTMLElement, identity: IdentityView, showError: (error: unknown) => void): Promise<void> {
  const records = h("div", { id: "records" });
  const refresh = () => api.gql<{ identity: IdentityView }>(BY_ID, { id: identity.identityId }).then((data) => showIdentity(api, detail, data.identity, showError), showError);
  let data: { identityDatasets: { usage: { datasetCount: number; sizeBytes: number; limits: Limits }; datasets: DatasetView[] } };
  try {
    data = await api.gql(DATASETS, { id: identity.identityId });
  } catch (error) {
    showError(error);
    return;
  }
  const { usage, datasets } = data.identityDatasets;
  replace(
    detail,
    h("section", { class: "card", "data-identity": identity.identityId },
      h("h3", {}, identity.identityId),
      h("p", { id: "identity-status" }, identity.disabledAt ? `Disabled ${formatTime(identity.disabledAt)}${identity.mergedInto ? `, merged into ${identity.mergedInto}` : ""}` : "Active"),
      h("p", {}, `Pool ${identity.identityPoolId}, created ${formatTime(identity.createdAt)}, ${identity.hasDeviceSecret ? "began as a guest" : "no device secret"}`),
      h("p", {}, "Logins: ", identity.logins.length === 0 ? "none" : identity.logins.map((login) => `${login.provider} / ${login.subject}`).join(", ")),
      identity.disabledAt === null && confirmButton("Disable identity", "disable-identity", () => api.gql(DISABLE, { id: identity.identityId }).then(refresh, showError)),
      usageBar("Datasets", usage.datasetCount, usage.limits.maxDatasets),
    ),
    h("table", { id: "datasets" },
      h("thead", {}, h("tr", {}, h("th", {}, "Dataset"), h("th", {}, "Records"), h("th", {}, "Size"), h("th", {}, "Sync count"), h("th", {}, "Changed"), h("th", {}))),
      h("tbody", {}, ...datasets.map((dataset) =>
        h("tr", { "data-dataset": dataset.name },
          h("td", {}, h("a", { href: "#/identities", onclick: (event: Event) => (event.preventDefault(), void showRecords(api, records, identity.identityId, dataset.name, showError)) }, dataset.name)),
          h("td", {}, usageBar("", dataset.recordCount, usage.limits.maxRecords)),
          h("td", {}, usageBar("", dataset.sizeBytes, usage.limits.maxDatasetBytes)),
          h("td", {}, dataset.syncCount),
          h("td", {}, formatTime(dataset.lastModifiedAt)),
          h("td", {}, confirmButton("Delete", "delete-dataset", () => api.gql(DELETE, { id: identity.identityId, dataset: dataset.name }).then(refresh, showError))),
        ),
      )),
    ),
    records,
  );
}

async function showRecords(api: AdminApi, container: HTMLElement, identityId: string, dataset: string, showError: (error: unknown) => void): Promise<void> {
  try {
    const { identityRecords } = await api.gql<{ identityRecords: { records: Array<{ key: string; value: string | null; kind: string; syncCount: number; lastModifiedBy: string; lastModifiedAt: number }> } }>(RECORDS, { id: identityId, dataset });
    replace(
      container,
      h("h3", {}, `Records of ${dataset}`),
      h("table", { class: "records" },
        h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Kind"), h("th", {}, "Value"), h("th", {}, "Sync count"), h("th", {}, "By"), h("th", {}, "At"))),
        h("tbody", {}, ...identityRecords.records.map((record) =>
          h("tr", { "data-key": record.key },
            h("td", {}, record.key), h("td", {}, record.kind),
            h("td", {}, h("pre", {}, renderRecordValue(record.kind, record.value))),
            h("td", {}, record.syncCount), h("td", {}, record.lastModifiedBy), h("td", {}, formatTime(record.lastModifiedAt)),
          ),
        )),
      ),
    );
  } catch (error) {
    showError(error);
  }
}

/** A button that acts on its second click (the first one asks), so a slip changes nothing. */
function confirmButton(label: string, name: string, act: () => void) {
  const button = h("button", { type: "button", class: "danger", "data-action": name }, label);
  button.addEventListener("click", () => {
    if (button.dataset["armed"] !== "true") {
      button.dataset["armed"] = "true";
      button.textContent = `${label}: click again to confirm`;
      return;
    }
    button.disabled = true;
    act();
  });
  return button;
}
