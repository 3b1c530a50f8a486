/**
 * Group commit, the part both backends share: several write transactions run as members
 * of one database transaction and share its one COMMIT (one fsync), each still all or nothing.
 * SQLite (`sqlite-group-commit.ts`) and PostgreSQL (`postgres-group-commit.ts`) differ in how a
 * group is formed and what it locks first; how its members run, and when each is answered, is
 * written once here.
 *
 * Each member runs inside its own SAVEPOINT: one that throws rolls back to it and is refused, and
 * its neighbours still commit. Members run one after another in the order they are handed out,
 * so two members of one dataset apply in order, each seeing the one before. No member is
 * answered before the group ended: an acknowledged write is durable, and a notice after commit
 * never announces what a crash could still undo. A refusal waits too, since it may rest on what
 * an earlier member of the group wrote (the login a racing sign-in linked, the dataset a push
 * created): a caller that reads again on being refused then finds it. If the transaction is lost
 * (the COMMIT fails, or the database ended the transaction on its own), every member that was not
 * refused fails with it; none of them was acknowledged.
 */
import type { SqlSession } from "./sql.js";

/** Work that may finish at once (SQLite) or after a round trip (PostgreSQL). */
export type MaybePromise<T> = T | Promise<T>;

/** One write transaction waiting for, or running in, a group. */
export interface GroupMember {
  fn: (session: SqlSession) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** What a backend's open group transaction offers: its session and its savepoint statements. */
export interface GroupTransaction {
  readonly session: SqlSession;
  /** Opens the member's savepoint. Throws when the transaction is lost. */
  savepoint(): MaybePromise<void>;
  /**
   * Keeps the member's writes (RELEASE). Throws when they cannot be kept (a statement of the
   * member failed and it caught the error): the member is then rolled back and refused.
   */
  release(): MaybePromise<void>;
  /** Undoes the member's writes (ROLLBACK TO, RELEASE). Throws when the whole transaction is lost. */
  rollbackToSavepoint(): MaybePromise<void>;
  /** Throws when the database ended the transaction on its own (I/O error, disk full). */
  assertOpen(): void;
  /** COMMIT; throws when it did not commit (the caller then rolls back). */
  commit(): MaybePromise<void>;
  /** ROLLBACK after a failure; never throws (the first error is the one worth reporting). */
  rollback(): MaybePromise<void>;
}

/**
 * Runs the members `next` hands out (until it hands out none) inside `tx`, which the caller has
 * begun, then commits and answers them. `wrap` runs each member's callback (PostgreSQL marks it
 * as inside a write there). Resolves once every member handed out is answered: with nothing when
 * the group committed, else with the error that lost it (members not yet handed out are the
 * caller's to answer). Never rejects.
 */
export async function commitGroup(
  tx: GroupTransaction,
  next: () => MaybePromise<GroupMember | undefined>,
  wrap: (run: () => Promise<unknown>) => Promise<unknown> = (run) => run(),
): Promise<{ lost: unknown } | undefined> {
  const applied: Array<{ member: GroupMember; result: unknown }> = [];
  const refused: Array<{ member: GroupMember; error: unknown }> = [];
  const answerRefused = () => {
    for (const { member, error } of refused) member.reject(error);
  };
  let current: GroupMember | undefined;
  try {
    for (current = await next(); current; current = await next()) {
      const outcome = await runMember(tx, current, wrap);
      if ("refused" in outcome) refused.push({ member: current, error: outcome.refused });
      else applied.push({ member: current, result: outcome.value });
    }
    tx.assertOpen();
    await tx.commit();
  } catch (error) {
    await tx.rollback();
    answerRefused();
    current?.reject(error); // the member running when the transaction was lost (no effect if it was refused)
    for (const entry of applied) entry.member.reject(error);
    return { lost: error };
  }
  answerRefused();
  for (const { member, result } of applied) member.resolve(result);
  return undefined;
}

/**
 * One member inside its savepoint: its value, or, when it throws, its error with its writes
 * undone (answered by the caller once the group ended). If the transaction itself is lost, this
 * rethrows and the whole group fails.
 */
async function runMember(
  tx: GroupTransaction,
  member: GroupMember,
  wrap: (run: () => Promise<unknown>) => Promise<unknown>,
): Promise<{ value: unknown } | { refused: unknown }> {
  await tx.savepoint();
  let value: unknown;
  try {
    value = await wrap(() => member.fn(tx.session));
    tx.assertOpen();
    await tx.release();
    return { value };
  } catch (error) {
    tx.assertOpen();
    await tx.rollbackToSavepoint();
    return { refused: error };
  }
}
