/**
 * Fan-out once per change: a `datasetChanged` event is executed against a subscription's selection
 * once, however many subscribers selected the same fields, and (over graphql-ws) its `next`
 * payload is serialized once too (`preparedPayloadFor`, spliced into each frame by `graphql-ws-socket.ts`).
 *
 * Why this is safe: who hears a change is decided before execution, per subscriber, by the
 * subscription's own event stream (`dataset-changes.ts`: identity, dataset, policies, shared
 * access). What remains is turning the event into the selected fields, and every field under
 * `DatasetChange` is a plain property read that depends on the event and the document alone, never
 * on the caller. So the result is cached per (event, document, operation name, and the variables
 * when a directive reads them): subscribers that select different fields get their own result.
 * The event stream is created by the subscription's resolver as before (authorization, limits and
 * errors unchanged); only the per-event execution is shared. That execution is itself a
 * projection of the event onto the selection, planned once per selection (`project-event.ts`),
 * where the selection is plain fields; graphql-js's `execute` runs for anything else.
 */
import { createSourceEventStream, execute, getOperationAST, Kind, visit, type DocumentNode, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Pollable, Waker } from "./event-queue.js";
import { planEventProjection, type EventProjection } from "./project-event.js";

/** The subscription field whose events are shared. */
const SHARED_FIELD = "datasetChanged";

/** Results per event, then per selection key; the event object is the same for every subscriber of a change. */
const resultsByEvent = new WeakMap<object, Map<string, ExecutionResult>>();
/** Results executed here, so `preparedPayloadFor` serializes only those (shared, and free of errors). */
const preparedByResult = new WeakMap<ExecutionResult, PreparedPayload>();
/**
 * Per parsed document (yoga's parse cache hands every subscriber of one query text the same
 * document): a number for its keys, and its selections by operation name when the variables do
 * not matter, so that every subscriber of one query shares one.
 */
const documentIds = new WeakMap<DocumentNode, { id: number; variablesMatter: boolean; selections: Map<string, Selection> }>();
let nextDocumentId = 0;
/** Streams this file opened, by the context that opened them (`takeSharedStream`). */
const openedByContext = new WeakMap<object, AsyncIterableIterator<ExecutionResult>>();

/**
 * A `next` payload serialized once: the graphql-ws endpoint (`graphql-ws-socket.ts`) builds only
 * the frame around this text per subscriber (`{"id":…,"type":"next","payload":…}`).
 */
export class PreparedPayload {
  constructor(readonly json: string) {}
}

/** The payload to send for `result` when it was shared and has no errors; undefined otherwise (graphql-ws serializes it). */
export function preparedPayloadFor(result: ExecutionResult): PreparedPayload | undefined {
  return preparedByResult.get(result);
}

/**
 * The stream a `datasetChanged` subscription with this context opened, without envelop's per-result
 * wrappers (and forgets it); undefined when it did not open one here. A long-lived subscription
 * need not keep those wrappers, which hold the whole operation context: its events are plain
 * field reads, with nothing to mask or log.
 */
export function takeSharedStream(contextValue: unknown): AsyncIterableIterator<ExecutionResult> | undefined {
  if (typeof contextValue !== "object" || contextValue === null) return undefined;
  const stream = openedByContext.get(contextValue);
  openedByContext.delete(contextValue);
  return stream;
}

/** The envelop plugin: `datasetChanged` subscriptions execute each event once per selection. */
export function useSharedSubscriptionResults(): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      if (rootFieldOf(args.document, args.operationName) !== SHARED_FIELD) return;
      setSubscribeFn(subscribeShared as never);
    },
  };
}

/** graphql's `subscribe`, with the per-event execution looked up before it is run. */
async function subscribeShared(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const events = source as AsyncIterableIterator<unknown> & Partial<Pollable<unknown>>;
  const results = typeof events.poll === "function" ? new PollableSharedResults(events, selectionOf(args)) : new SharedResults(events, selectionOf(args));
  if (typeof args.contextValue === "object" && args.contextValue !== null) openedByContext.set(args.contextValue, results);
  return results;
}

/**
 * A subscription's results: each event from its source stream, executed once per selection. A
 * class (its methods shared) because thousands sit idle at once; it keeps what an event's
 * execution needs, not the caller's context, which the fields never read.
 */
class SharedResults implements AsyncIterableIterator<ExecutionResult> {
  protected readonly events: AsyncIterableIterator<unknown>;
  readonly #selection: Selection;

  constructor(events: AsyncIterableIterator<unknown>, selection: Selection) {
    this.events = events;
    this.#selection = selection;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.events.next().then((step) => this.toResult(step));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    return this.events.return ? this.events.return().then((step) => this.toResult(step)) : Promise.resolve({ done: true, value: undefined });
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    return this.events.throw ? this.events.throw(error).then((step) => this.toResult(step)) : Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  protected toResult(step: IteratorResult<unknown>): IteratorResult<ExecutionResult> {
    return step.done ? { done: true, value: undefined } : { done: false, value: sharedResult(step.value, this.#selection) };
  }
}

/** Shared results of a source that can be polled (the subscription's `EventQueue`), pollable in turn. */
class PollableSharedResults extends SharedResults implements Pollable<ExecutionResult> {
  poll(waker: Waker): IteratorResult<ExecutionResult> | undefined {
    const step = (this.events as AsyncIterableIterator<unknown> & Pollable<unknown>).poll(waker);
    return step === undefined ? undefined : this.toResult(step);
  }
}

function sharedResult(event: unknown, selection: Selection): ExecutionResult {
  const { key, args } = selection;
  if (typeof event !== "object" || event === null) return execute({ ...args, rootValue: event }) as ExecutionResult;
  let results = resultsByEvent.get(event);
  if (!results) resultsByEvent.set(event, (results = new Map()));
  let result = results.get(key);
  if (!result) {
    // Plain property reads only (see the header): projected without `execute` where the selection
    // allows it (`project-event.ts`), else executed, synchronously.
    result = selection.projection()?.(event) ?? (execute({ ...args, rootValue: event }) as ExecutionResult);
    results.set(key, result);
    if (!result.errors) preparedByResult.set(result, new PreparedPayload(JSON.stringify(result)));
  }
  return result;
}

/** What the result of one event depends on besides the event: its key, and the execution arguments that are not the event. */
class Selection {
  /** Planned at the first event; null when `execute` must run (directives, fragments, resolvers). */
  #projection: EventProjection | null | undefined;

  constructor(
    readonly key: string,
    readonly args: ExecutionArgs,
  ) {}

  projection(): EventProjection | null {
    if (this.#projection === undefined) this.#projection = planEventProjection(this.args.schema, this.args.document, this.args.operationName);
    return this.#projection;
  }
}

/** The selection of a subscription's arguments: shared by every subscriber of the same document and operation, unless directives read the variables. */
function selectionOf({ schema, document, operationName, variableValues }: ExecutionArgs): Selection {
  let entry = documentIds.get(document);
  if (!entry) documentIds.set(document, (entry = { id: nextDocumentId++, variablesMatter: directivesReadVariables(document), selections: new Map() }));
  const args: ExecutionArgs = { schema, document, operationName, variableValues };
  if (entry.variablesMatter) return new Selection(`${entry.id}\n${operationName ?? ""}\n${JSON.stringify(variableValues ?? {})}`, args);
  const shared = entry.selections.get(operationName ?? "");
  // Same document, operation and schema: the same result for every event, whatever the variables.
  if (shared && shared.args.schema === schema) return shared;
  const selection = new Selection(`${entry.id}\n${operationName ?? ""}\n`, args);
  entry.selections.set(operationName ?? "", selection);
  return selection;
}

/** True when an `@include(if: $x)` or the like makes the selection depend on the variables. */
function directivesReadVariables(document: DocumentNode): boolean {
  let reads = false;
  visit(document, {
    Directive(node) {
      visit(node, {
        Variable() {
          reads = true;
        },
      });
    },
  });
  return reads;
}

function rootFieldOf(document: DocumentNode, operationName: string | null | undefined): string | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== "subscription" || operation.selectionSet.selections.length !== 1) return null;
  const [selection] = operation.selectionSet.selections;
  return selection?.kind === Kind.FIELD ? selection.name.value : null;
}
