/**
 * Stream: a pool's shards with a live tail (new events appear as they are appended, read from
 * LATEST on with the iterator the server hands back), the consumers running on the server with
 * their lag per shard, and dead letters with replay and drop.
 */
import type { AdminApi } from "./admin-api.js";
import { formatTime, h, replace } from "./dom.js";
import type { ConsolePage } from "./nav.js";

interface StreamRecordView {
  shard: number;
  sequenceNumber: string;
  partitionKey: string;
  approximateArrivalTimestamp: number;
  data: { dataSetName?: string; operation?: string; syncCount?: number; kinesisSyncRecords?: unknown[] };
}
interface ConsumerView {
  name: string;
  kind: string;
  shards: Array<{ identityPoolId: string; shard: number; checkpoint: string; lastSequenceNumber: string; attempts: number; lastError: string | null }>;
}
interface DeadLetterView {
  id: string;
  consumer: string;
  identityPoolId: string;
  shard: number;
  sequenceNumber: string;
  attempts: number;
  lastError: string;
  failedAt: number;
}

const POOLS = `{ identityPools { id } }`;
const SHARDS = `query ($pool: String!) { streamShards(identityPoolId: $pool) { shard firstSequenceNumber lastSequenceNumber lastArrivalTimestamp } }`;
const RECORD = "shard sequenceNumber partitionKey approximateArrivalTimestamp data";
const FIRST_READ = `query ($pool: String!, $shard: Int!) { streamRecords(identityPoolId: $pool, shard: $shard, iterator: { type: LATEST }) { nextIterator records { ${RECORD} } } }`;
const NEXT_READ = `query ($pool: String!, $shard: Int!, $next: String!) { streamRecords(identityPoolId: $pool, shard: $shard, nextIterator: $next) { nextIterator records { ${RECORD} } } }`;
const CONSUMERS = `{ streamConsumers { name kind shards { identityPoolId shard checkpoint lastSequenceNumber attempts lastError } } deadLetters(first: 100) { id consumer identityPoolId shard sequenceNumber attempts lastError failedAt } }`;
const REPLAY = `mutation ($id: ID!) { replayDeadLetter(id: $id) { delivered error } }`;
const DROP = `mutation ($id: ID!) { dropDeadLetter(id: $id) }`;

/** How often the tail and the consumer table are read again. */
const POLL_MS = 1000;
/** Events the tail keeps on screen. */
const TAIL_LENGTH = 50;

/** The stream page (see the module comment). */
export const streamPage: ConsolePage = {
  id: "stream",
  title: "Event stream",
  render(container, api, showError) {
    const pool = h("select", { id: "stream-pool", "aria-label": "Pool" });
    const shards = h("table", { id: "shards" });
    const tail = h("ol", { id: "tail", class: "tail" });
    const consumers = h("div", { id: "consumers" });
    let iterators = new Map<number, string>();
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const loadShards = async () => {
      const { streamShards } = await api.gql<{ streamShards: Array<{ shard: number; firstSequenceNumber: string | null; lastSequenceNumber: string | null; lastArrivalTimestamp: number | null }> }>(SHARDS, { pool: pool.value });
      replace(shards,
        h("thead", {}, h("tr", {}, h("th", {}, "Shard"), h("th", {}, "First"), h("th", {}, "Last"), h("th", {}, "Last arrival"))),
        h("tbody", {}, ...streamShards.map((shard) => h("tr", {}, h("td", {}, shard.shard), h("td", {}, shard.firstSequenceNumber ?? "-"), h("td", {}, shard.lastSequenceNumber ?? "-"), h("td", {}, formatTime(shard.lastArrivalTimestamp))))),
      );
      return streamShards.map((shard) => shard.shard);
    };
    const readTail = async (shardIds: number[]) => {
      for (const shard of shardIds) {
        const next = iterators.get(shard);
        const { streamRecords } = await api.gql<{ streamRecords: { nextIterator: string; records: StreamRecordView[] } }>(next ? NEXT_READ : FIRST_READ, { pool: pool.value, shard, next });
        iterators.set(shard, streamRecords.nextIterator);
        for (const record of streamRecords.records) tail.prepend(tailLine(record));
      }
      while (tail.children.length > TAIL_LENGTH) tail.lastElementChild?.remove();
      // Every shard has its iterator now: whatever is appended from here on shows up.
      tail.setAttribute("data-live", "true");
    };
    const loadConsumers = async () => {
      const data = await api.gql<{ streamConsumers: ConsumerView[]; deadLetters: DeadLetterView[] }>(CONSUMERS);
      replace(consumers, consumerTable(data.streamConsumers), deadLetterTable(api, data.deadLetters, showError, () => void loadConsumers().catch(showError)));
    };
    const poll = async () => {
      try {
        await readTail(await loadShards());
        await loadConsumers();
      } catch (error) {
        showError(error);
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };

    pool.addEventListener("change", () => {
      iterators = new Map();
      tail.replaceChildren();
      tail.removeAttribute("data-live");
    });
    container.append(
      h("div", { class: "card inline" }, h("label", {}, "Pool ", pool)),
      h("div", { class: "columns" }, h("section", {}, h("h3", {}, "Shards"), shards, h("h3", {}, "Live tail"), tail), h("section", {}, h("h3", {}, "Consumers"), consumers)),
    );
    api
      .gql<{ identityPools: Array<{ id: string }> }>(POOLS)
      .then(({ identityPools }) => {
        replace(pool, ...identityPools.map((candidate) => h("option", { value: candidate.id }, candidate.id)));
        return poll();
      })
      .catch(showError);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  },
};

function tailLine(record: StreamRecordView) {
  const { data } = record;
  const changed = Array.isArray(data.kinesisSyncRecords) ? data.kinesisSyncRecords.length : 0;
  return h("li", { "data-sequence": record.sequenceNumber },
    h("code", {}, `${record.shard}/${record.sequenceNumber}`), " ", formatTime(record.approximateArrivalTimestamp), " ",
    `${data.operation ?? "?"} ${data.dataSetName ?? "?"} of ${record.partitionKey}: ${changed} record${changed === 1 ? "" : "s"}, sync count ${data.syncCount ?? "?"}`,
  );
}

function consumerTable(consumers: ConsumerView[]) {
  if (consumers.length === 0) return h("p", { class: "hint" }, "No consumers run on this server.");
  return h("table", { id: "consumer-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Consumer"), h("th", {}, "Shard"), h("th", {}, "Checkpoint"), h("th", {}, "Lag"), h("th", {}, "Attempts"), h("th", {}, "Last error"))),
    h("tbody", {}, ...consumers.flatMap((consumer) => consumer.shards.map((shard) =>
      h("tr", { "data-consumer": consumer.name },
        h("td", {}, `${consumer.name} (${consumer.kind})`), h("td", {}, `${shard.identityPoolId}/${shard.shard}`), h("td", {}, shard.checkpoint),
        h("td", { class: "lag" }, String(Math.max(0, Number(shard.lastSequenceNumber) - Number(shard.checkpoint)))),
        h("td", {}, shard.attempts), h("td", {}, shard.lastError ?? ""),
      ),
    ))),
  );
}

function deadLetterTable(api: AdminApi, letters: DeadLetterView[], showError: (error: unknown) => void, reload: () => void) {
  if (letters.length === 0) return h("p", { id: "dead-letters", class: "hint" }, "No dead letters.");
  return h("div", {}, h("h3", {}, "Dead letters"), h("table", { id: "dead-letters" },
    h("thead", {}, h("tr", {}, h("th", {}, "Consumer"), h("th", {}, "Event"), h("th", {}, "Attempts"), h("th", {}, "Error"), h("th", {}, "Failed"), h("th", {}))),
    h("tbody", {}, ...letters.map((letter) =>
      h("tr", { "data-dead-letter": letter.id },
        h("td", {}, letter.consumer), h("td", {}, `${letter.identityPoolId}/${letter.shard}/${letter.sequenceNumber}`), h("td", {}, letter.attempts),
        h("td", {}, letter.lastError), h("td", {}, formatTime(letter.failedAt)),
        h("td", {},
          h("button", { type: "button", "data-action": "replay", onclick: () => void api.gql(REPLAY, { id: letter.id }).then(reload, showError) }, "Replay"),
          h("button", { type: "button", class: "danger", "data-action": "drop", onclick: () => void api.gql(DROP, { id: letter.id }).then(reload, showError) }, "Drop"),
        ),
      ),
    )),
  ));
}
