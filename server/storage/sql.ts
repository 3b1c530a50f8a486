/**
 * Queries written once for both backends. A query is a `sql` tagged template: its values become
 * bound parameters, and the backend's dialect renders the placeholders (`?` for SQLite, `$n` for
 * PostgreSQL). A sub-store holds only such queries and runs them on a `SqlSession` that its backend's
 * driver supplies; the SQL text is never assembled from values, so nothing can be injected.
 *
 * Column aliases are written double-quoted (`pool_id AS "poolId"`): both SQLite and PostgreSQL keep
 * the case of a quoted alias, so one text maps rows to the interface's field names on both.
 */

/** A query with its values still apart from its text. */
export interface SqlQuery {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
}

/** How one backend spells a bound parameter; `index` counts from 1. */
export interface SqlDialect {
  readonly name: "sqlite" | "postgres";
  placeholder(index: number): string;
}

/** SQLite: positional `?`. */
export const SQLITE_DIALECT: SqlDialect = { name: "sqlite", placeholder: () => "?" };
/** PostgreSQL: numbered `$n`. */
export const POSTGRES_DIALECT: SqlDialect = { name: "postgres", placeholder: (index) => `$${index}` };

/** A fragment of SQL text spliced in verbatim (constants such as column lists, never values). */
export class SqlText {
  constructor(readonly text: string) {}
}

/** Marks constant SQL text for splicing into a `sql` template. */
export const raw = (text: string): SqlText => new SqlText(text);

/**
 * Builds a query. Interpolated `SqlText` and `SqlQuery` values are spliced in (a nested query's
 * values join this one's); anything else becomes a bound parameter.
 */
export function sql(strings: TemplateStringsArray, ...parts: readonly unknown[]): SqlQuery {
  // Only values: keep the call site's own strings array, which is the same object on every call,
  // so `renderSql` renders its text once (hot statements such as the stream append take this path).
  if (!parts.some((part) => part instanceof SqlText || isSqlQuery(part))) return { strings, values: parts };
  if (!parts.some(isSqlQuery)) return withConstantText(strings, parts);
  return splice(strings, parts);
}

/**
 * The strings a call site spliced with the same `SqlText` objects last time (module constants such
 * as a column list), frozen like a template's own: the same object on every call, so the text is
 * rendered once and PostgreSQL may prepare it (`postgres-rows.ts` names only frozen strings).
 */
const splicedTexts = new WeakMap<TemplateStringsArray, { texts: readonly unknown[]; strings: readonly string[] }>();

function withConstantText(strings: TemplateStringsArray, parts: readonly unknown[]): SqlQuery {
  const texts = parts.map((part) => (part instanceof SqlText ? part : undefined));
  const known = splicedTexts.get(strings);
  const values = parts.filter((part) => !(part instanceof SqlText));
  if (known && known.texts.every((text, index) => text === texts[index])) return { strings: known.strings, values };
  // A first call, or other fragments than last time (made per call): spliced afresh, and remembered.
  const spliced = splice(strings, parts);
  splicedTexts.set(strings, { texts, strings: Object.freeze([...spliced.strings]) });
  return spliced;
}

function splice(strings: readonly string[], parts: readonly unknown[]): SqlQuery {
  const outStrings: string[] = [strings[0] ?? ""];
  const values: unknown[] = [];
  parts.forEach((part, index) => {
    const following = strings[index + 1] ?? "";
    if (part instanceof SqlText) {
      outStrings[outStrings.length - 1] += part.text + following;
    } else if (isSqlQuery(part)) {
      outStrings[outStrings.length - 1] += part.strings[0] ?? "";
      for (let i = 1; i < part.strings.length; i++) outStrings.push(part.strings[i] ?? "");
      values.push(...part.values);
      outStrings[outStrings.length - 1] += following;
    } else {
      values.push(part);
      outStrings.push(following);
    }
  });
  return { strings: outStrings, values };
}

/** Joins queries with `separator` (constant text), for lists such as `OR`-ed conditions. */
export function joinSql(queries: readonly SqlQuery[], separator: string): SqlQuery {
  const strings: string[] = [""];
  const values: unknown[] = [];
  queries.forEach((query, index) => {
    if (index > 0) strings[strings.length - 1] += separator;
    strings[strings.length - 1] += query.strings[0] ?? "";
    for (let i = 1; i < query.strings.length; i++) strings.push(query.strings[i] ?? "");
    values.push(...query.values);
  });
  return { strings, values };
}

/** Texts already rendered, per strings array and dialect: a template's array is the same object on every call. */
const renderedTexts = new WeakMap<readonly string[], Map<SqlDialect, string>>();

/** The text and parameters of `query` in `dialect`. */
export function renderSql(query: SqlQuery, dialect: SqlDialect): { text: string; params: unknown[] } {
  let texts = renderedTexts.get(query.strings);
  let text = texts?.get(dialect);
  if (text === undefined) {
    text = query.strings[0] ?? "";
    for (let i = 1; i < query.strings.length; i++) text += dialect.placeholder(i) + (query.strings[i] ?? "");
    // Cached only for template arrays (frozen); an array built by splicing is new on every call.
    if (Object.isFrozen(query.strings)) {
      if (!texts) renderedTexts.set(query.strings, (texts = new Map()));
      texts.set(dialect, text);
    }
  }
  return { text, params: [...query.values] };
}

function isSqlQuery(value: unknown): value is SqlQuery {
  return typeof value === "object" && value !== null && Array.isArray((value as SqlQuery).strings) && Array.isArray((value as SqlQuery).values);
}

/**
 * Runs rendered queries on one connection (or one transaction). SQLite's driver answers at once
 * (better-sqlite3 is synchronous) and PostgreSQL's after a round trip; callers `await` either.
 */
export interface SqlSession {
  readonly dialect: SqlDialect;
  /** Every row of the result. */
  all<Row>(query: SqlQuery): Promise<Row[]>;
  /** The first row, or undefined. */
  get<Row>(query: SqlQuery): Promise<Row | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(query: SqlQuery): Promise<number>;
  /**
   * The same three calls answered at once, when the driver runs statements synchronously
   * (SQLite). Only for statements on every commit (the stream append, the identity check): a
   * promise per statement costs more there than the statement itself.
   */
  readonly now?: SqlSessionNow;
}

/** `SqlSession`'s calls without promises; see `SqlSession.now`. */
export interface SqlSessionNow {
  all<Row>(query: SqlQuery): Row[];
  get<Row>(query: SqlQuery): Row | undefined;
  run(query: SqlQuery): number;
}

/** How a sub-store reaches its backend: reads, and writes under the backend's write rules. */
export interface SqlConnections {
  /** Runs `fn` on a reading connection (autocommit). */
  read<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Runs `fn`'s statements as autocommit writes. */
  write<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one write transaction: commits when it resolves, rolls back when it throws. With
   * `lockKey`, the transaction first takes that lock, held until it ends, so transactions naming
   * the same key run one at a time across every process on the database (PostgreSQL takes an
   * advisory transaction lock; SQLite's single writer already serializes them).
   */
  transaction<T>(fn: (session: SqlSession) => Promise<T>, lockKey?: number): Promise<T>;
}
