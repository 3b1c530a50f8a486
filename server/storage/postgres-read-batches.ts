/**
 * The two pool reads of every push on PostgreSQL, batched: the identity's status (every request
 * with a token reads it) and the devices subscribed to the pushed dataset (every committed push
 * reads them). Each was a statement of its own on a pooled connection: a checkout, a socket
 * write, an execution and an answer per push. Concurrent callers now share one statement.
 *
 * A batch is sent at once when fewer than `MAX_BATCHES_IN_FLIGHT` are out, so a lone caller waits
 * no longer than before; otherwise callers wait for a batch to come back and go out together in
 * the next. A batch is always sent after its callers asked, so each sees every commit made
 * before it asked (a disabled identity is refused from the next request on, as before).
 */
import type { RegisteredDevice } from "./device-store.js";
import type { IdentityStatus } from "./identity-store.js";
import { DEVICE_COLUMNS, SqlDeviceStore } from "./sql-devices.js";
import { type IdentityConnections, SqlIdentityStore } from "./sql-identities.js";
import { type SqlConnections, sql } from "./sql.js";

/** Batches out at once per kind of read: one can be on its way while the next fills. */
const MAX_BATCHES_IN_FLIGHT = 2;

/** Coalesces concurrent reads of one kind into one statement per batch (`readMany`). */
export class ReadBatcher<Key, Value> {
  #waiting: Array<{ key: Key; resolve(value: Value): void; reject(error: unknown): void }> = [];
  #inFlight = 0;

  /** `readMany` answers keys by `idOf`; `answer` makes each caller's own value of what was found (undefined: nothing). */
  constructor(
    private readonly readMany: (keys: Key[]) => Promise<Map<string, Value>>,
    private readonly idOf: (key: Key) => string,
    private readonly answer: (found: Value | undefined) => Value,
  ) {}

  read(key: Key): Promise<Value> {
    return new Promise<Value>((resolve, reject) => {
      this.#waiting.push({ key, resolve, reject });
      this.#send();
    });
  }

  #send(): void {
    if (this.#inFlight >= MAX_BATCHES_IN_FLIGHT || this.#waiting.length === 0) return;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#inFlight += 1;
    this.readMany(batch.map((caller) => caller.key))
      .then(
        (found) => {
          for (const caller of batch) caller.resolve(this.answer(found.get(this.idOf(caller.key))));
        },
        (error: unknown) => {
          for (const caller of batch) caller.reject(error);
        },
      )
      .finally(() => {
        this.#inFlight -= 1;
        this.#send();
      });
  }
}

/** `SqlIdentityStore` whose status reads are batched. */
export class BatchedIdentityStore extends SqlIdentityStore {
  readonly #statuses: ReadBatcher<string, IdentityStatus | null>;

  constructor(db: IdentityConnections) {
    super(db);
    this.#statuses = new ReadBatcher<string, IdentityStatus | null>(
      (ids) =>
        db.read(async (session) => {
          const rows = await session.all<IdentityStatus>(sql`
            SELECT i.id, i.pool_id AS "poolId", i.secret_hash IS NOT NULL AS "hasSecret", i.disabled_at AS "disabledAt",
              i.merged_into AS "mergedInto" FROM identities i WHERE i.id = ANY(${ids}::text[])`);
          return new Map(rows.map((row) => [row.id, row]));
        }),
      (id) => id,
      (found) => (found ? { ...found } : null),
    );
  }

  override getIdentityStatus(id: string): Promise<IdentityStatus | null> {
    return this.#statuses.read(id);
  }
}

/** `SqlDeviceStore` whose reads of a dataset's subscribed devices are batched. */
export class BatchedDeviceStore extends SqlDeviceStore {
  readonly #subscribed: ReadBatcher<{ identityId: string; dataset: string }, RegisteredDevice[]>;

  constructor(db: SqlConnections) {
    super(db);
    const idOf = ({ identityId, dataset }: { identityId: string; dataset: string }) => JSON.stringify([identityId, dataset]);
    this.#subscribed = new ReadBatcher<{ identityId: string; dataset: string }, RegisteredDevice[]>(
      (pairs) =>
        db.read(async (session) => {
          const rows = await session.all<RegisteredDevice & { dataset: string }>(sql`
            SELECT s.dataset, ${DEVICE_COLUMNS} FROM push_dataset_subscriptions s
            JOIN push_devices d ON d.identity_id = s.identity_id AND d.device_id = s.device_id
            WHERE (s.identity_id, s.dataset) IN (SELECT * FROM unnest(${pairs.map((pair) => pair.identityId)}::text[], ${pairs.map((pair) => pair.dataset)}::text[]))
            ORDER BY d.device_id`);
          const found = new Map<string, RegisteredDevice[]>();
          for (const { dataset, ...device } of rows) {
            const id = idOf({ identityId: device.identityId, dataset });
            const devices = found.get(id);
            if (devices) devices.push(device);
            else found.set(id, [device]);
          }
          return found;
        }),
      idOf,
      (found) => (found ? found.map((device) => ({ ...device })) : []),
    );
  }

  override listSubscribedDevices(identityId: string, dataset: string): Promise<RegisteredDevice[]> {
    return this.#subscribed.read({ identityId, dataset });
  }
}
