/**
 * Group commit for PostgreSQL's dataset writes that append to the event stream. A push holds its
 * stream shard's counter row from its append until its COMMIT, so one commit per push lets a
 * shard take one push per commit round trip (and its WAL flush). Here the pushes of one shard
 * waiting in this process share one transaction and one COMMIT; how members run and are answered
 * (a savepoint each, answered after COMMIT) is shared with SQLite: `group-commit.ts`.
 *
 * Groups are formed per lane, the stream shard the writes append to (`DatasetWriteOptions.streamShard`):
 * one group of a lane runs at a time, groups of different lanes run side by side on their own
 * connections. A group is closed when it starts: it takes the lane's waiting writes (the ones
 * that arrived while the previous group ran, up to `MAX_POSTGRES_GROUP_SIZE`), and, before any
 * member runs, every dataset lock of its members in the order merges use, then its members'
 * identity rows `FOR KEY SHARE` and their dataset-creation locks (`postgres-locks.ts`). So a group
 * waits for any of these only while it holds nothing a merge or another writer waits for, then
 * takes one shard row: groups, single writes and merges never wait on each other in a cycle, on
 * one server or several. Members run sorted by (identity, dataset), stably, so two writes of one
 * dataset keep their arrival order.
 */
import type pg from "pg";
import { type GroupMember, type GroupTransaction, commitGroup } from "./group-commit.js";
import { lockDatasets, lockIdentitiesDatasets, lockIdentityRows } from "./postgres-locks.js";
import { handled } from "./handled.js";
import { postgresSession, sendTogether } from "./postgres-rows.js";
import { sortDatasetRefs } from "./sql-identities.js";
import type { SqlSession } from "./sql.js";
import type { WriteGate } from "./write-gate.js";

/**
 * Writes committed together at most. Members run one after another on one connection, a few
 * round trips each, so this bounds how long the first waits for its answer. Each member that
 * writes is a subtransaction with its own id, and PostgreSQL caches 64 of them per session
 * (`PGPROC_MAX_CACHED_SUBXIDS`): past that, every snapshot of every session must look them up
 * in pg_subtrans, which slows the whole database.
 */
export const MAX_POSTGRES_GROUP_SIZE = 64;

/** A member and the dataset it writes. */
interface LaneMember extends GroupMember {
  identityId: string;
  dataset: string;
}

/** What the group commit needs from the adapter (`postgres.ts`). */
export interface PostgresGroupCommitDeps {
  schema: string;
  /** Checks a connection out of the pool. */
  connect(): Promise<pg.PoolClient>;
  /** The adapter's writer admission: a group takes one slot, keyed by its lane. */
  gate: WriteGate;
  /** Runs a member's callback marked as inside a write, so a write it starts is refused. */
  insideWrite(run: () => Promise<unknown>): Promise<unknown>;
  maxGroupSize?: number;
}

/** Runs dataset write transactions in per-lane groups, each group one PostgreSQL transaction. */
export class PostgresGroupCommit {
  /** Per lane, the writes waiting for its next group; a lane is here while it has work. */
  readonly #lanes = new Map<string, LaneMember[]>();

  constructor(private readonly deps: PostgresGroupCommitDeps) {}

  /**
   * Runs `fn` as a member of a group of `lane`, holding the lock of (identityId, dataset): its
   * writes commit with the group's, or roll back alone when it throws. Resolves after the COMMIT.
   */
  run<T>(lane: string, identityId: string, dataset: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const member: LaneMember = { identityId, dataset, fn, resolve: resolve as (value: unknown) => void, reject };
      const waiting = this.#lanes.get(lane);
      if (waiting) {
        waiting.push(member);
        return;
      }
      const queue = [member];
      this.#lanes.set(lane, queue);
      void this.#drain(lane, queue);
    });
  }

  /** One group at a time for the lane, until nobody waits; then the lane is forgotten. */
  async #drain(lane: string, queue: LaneMember[]): Promise<void> {
    try {
      while (queue.length > 0) await this.deps.gate.run(`group ${lane}`, () => this.#commitNextGroup(queue));
    } finally {
      this.#lanes.delete(lane);
    }
  }

  /** Closes the group (the writes waiting once a connection is had), opens its transaction, locks, runs, commits. */
  async #commitNextGroup(queue: LaneMember[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.deps.connect();
    } catch (error) {
      for (const member of queue.splice(0)) member.reject(error);
      return;
    }
    let broken: Error | undefined;
    const members = stableSortByDataset(queue.splice(0, this.deps.maxGroupSize ?? MAX_POSTGRES_GROUP_SIZE));
    try {
      // BEGIN and the locks go out together (the connection pipelines; the server takes them in
      // the order sent, as postgres-locks.ts orders them): one round trip, not four.
      sendTogether(client);
      const session = postgresSession(client, { prepare: true });
      const refs = sortDatasetRefs(members.map(({ identityId, dataset }) => ({ identityId, name: dataset })));
      const identityIds = members.map((member) => member.identityId);
      await Promise.all([
        client.query("BEGIN ISOLATION LEVEL READ COMMITTED"),
        lockDatasets(session, this.deps.schema, refs),
        lockIdentityRows(session, identityIds),
        lockIdentitiesDatasets(session, this.deps.schema, identityIds),
      ]);
    } catch (error) {
      // Nothing was written: the group's members fail alike; writes waiting behind them get the next group.
      await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
      for (const member of members) member.reject(error);
      client.release(broken);
      return;
    }
    let next = 0;
    const transaction = postgresGroupTransaction(client, (error) => (broken = error));
    const failure = await commitGroup(transaction, () => members[next++], this.deps.insideWrite);
    // Members the lost group never reached ran nothing; they fail with it.
    if (failure) for (const member of members.slice(next)) member.reject(failure.lost);
    client.release(broken);
  }
}

/** Sorted by (identity, dataset), the order of their locks; members of one dataset keep their order. */
function stableSortByDataset(members: LaneMember[]): LaneMember[] {
  return members
    .map((member, index) => ({ member, index }))
    .sort((a, b) =>
      a.member.identityId !== b.member.identityId
        ? a.member.identityId < b.member.identityId ? -1 : 1
        : a.member.dataset !== b.member.dataset ? (a.member.dataset < b.member.dataset ? -1 : 1) : a.index - b.index,
    )
    .map(({ member }) => member);
}

/**
 * The client's open transaction as a group sees it. `onBroken` hears of a connection that could not
 * even roll back. Every statement goes through `send`, which counts the ones not yet answered and
 * notes any that failed since the member's SAVEPOINT, and corks the socket for the turn
 * (`sendTogether`), so a member's statements of one turn leave in one write.
 *
 * RELEASE is refused only after a failed statement of the member (even one it caught). When every
 * statement of the member, its SAVEPOINT first, was answered without error, nothing the member did
 * can make RELEASE fail, so it is sent without waiting: it leaves with the next member's SAVEPOINT
 * and reads, or with the COMMIT, saving each member a round trip. If it fails all the same (the
 * connection broke), the group is lost: the next SAVEPOINT, the member's rollback and the COMMIT
 * all wait for it and throw. Otherwise (a statement failed, or is still running) RELEASE is its own
 * round trip, queued behind the member's statements, so its refusal refuses that member alone. The
 * connection's transaction status cannot stand in for the count: it is updated by the
 * ReadyForQuery after an error, which may arrive after the member saw the error.
 */
function postgresGroupTransaction(client: pg.PoolClient, onBroken: (error: Error) => void): GroupTransaction {
  let running = 0;
  let failedSinceSavepoint = false;
  const send = (query: string | pg.QueryConfig): Promise<pg.QueryResult> => {
    sendTogether(client);
    running += 1;
    const answer = client.query(query);
    answer.then(
      () => void (running -= 1),
      () => {
        running -= 1;
        failedSinceSavepoint = true;
      },
    );
    return answer;
  };
  // SAVEPOINT is sent without waiting for its answer, so it shares a round trip with the member's
  // first statements (the connection pipelines; the server still runs them in order). Its outcome
  // is checked before the member's savepoint is released or rolled back to: a SAVEPOINT refused
  // means the transaction was already lost, and so then is the group.
  let opened: Promise<unknown> = Promise.resolve();
  // The last RELEASE sent without waiting; whatever follows it checks it.
  let released: Promise<unknown> = Promise.resolve();
  return {
    session: postgresSession({ query: send }, { prepare: true }),
    savepoint: () => {
      failedSinceSavepoint = false;
      opened = handled(send("SAVEPOINT push")); // seen by release or rollbackToSavepoint
    },
    release: async () => {
      if (running === 0 && !failedSinceSavepoint) {
        released = handled(send("RELEASE SAVEPOINT push"));
        return;
      }
      await released;
      await opened;
      await send("RELEASE SAVEPOINT push");
    },
    rollbackToSavepoint: async () => {
      await released;
      await opened;
      await send("ROLLBACK TO SAVEPOINT push; RELEASE SAVEPOINT push");
    },
    assertOpen: () => undefined, // a lost transaction shows as the next statement's error
    commit: async () => {
      // Sent at once, behind the last RELEASE; after a failed statement (that RELEASE's included)
      // PostgreSQL answers COMMIT with ROLLBACK instead of an error.
      const committed = handled(send("COMMIT"));
      await released;
      const { command } = await committed;
      if (command !== "COMMIT") throw new Error("PostgreSQL rolled the group's transaction back");
    },
    rollback: async () => {
      await client.query("ROLLBACK").catch(onBroken);
    },
  };
}
