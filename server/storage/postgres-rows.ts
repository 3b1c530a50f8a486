/**
 * How the PostgreSQL driver (`postgres.ts`) runs the queries written once (`sql.ts`): int8
 * parsing, the text codec that lets U+0000 round-trip, the records' key hash, the schema name
 * rule, and the `SqlSession` over a pool or a client that applies the codec both ways.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { POSTGRES_DIALECT, type SqlQuery, type SqlSession, renderSql } from "./sql.js";

/** Anything that runs a query: the pool (autocommit) or one checked-out client (a transaction). */
export interface Queryable {
  query(query: pg.QueryConfig): Promise<pg.QueryResult>;
}

/** Sockets corked by `sendTogether` and not yet uncorked. */
const corked = new WeakSet<object>();

/**
 * Makes the statements `client` is handed from now until the current turn's microtasks have run
 * leave in one write to its socket. node-postgres writes each statement as it is queued (it corks
 * the socket only around that statement's own messages), one system call per statement, which on
 * a pipelined connection is most of a push's cost in the server. Corking the connection's socket
 * (`client.connection.stream`, a `net.Socket`) lets Node gather them; the uncork is scheduled on
 * the same turn, after the microtasks queued now (and those they queue) ran, so nothing sent
 * waits for a later event. Statements keep their order; each still has its own Sync.
 */
export function sendTogether(client: pg.Client): void {
  const socket = client.connection.stream;
  if (corked.has(socket)) return;
  corked.add(socket);
  socket.cork();
  queueMicrotask(() =>
    process.nextTick(() => {
      corked.delete(socket);
      socket.uncork();
    }),
  );
}

/**
 * Schema names are interpolated into SQL and into the connection's startup options, so only plain
 * lowercase identifiers are accepted: they need no quoting anywhere and cannot inject anything.
 */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Throws unless `schema` matches `SCHEMA_NAME_PATTERN`. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME_PATTERN.test(schema)) {
    throw new Error(`PostgreSQL schema name "${schema}" must match ${String(SCHEMA_NAME_PATTERN)}`);
  }
}

const INT8_OID = 20;
/**
 * Type parsers for the pool: pg returns int8 (bigint, and count(*)) as strings because they may
 * exceed 2^53. Every int8 we store came from a JS number (epoch ms, counts, bytes), so it fits.
 * Scoped to our pool instead of `pg.types.setTypeParser`, which would change every pg user in the
 * process.
 */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary" ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * PostgreSQL `text` cannot hold U+0000, which SQLite and JavaScript strings can. Client-supplied
 * free text (keys, values, clocks, device and mutation ids, push answers) therefore goes through
 * this codec: U+0000 becomes U+0001 U+0001 and U+0001 becomes U+0001 U+0002, everything else is
 * unchanged. It is a prefix code that maps 0 < 1 < every other character onto sequences in the
 * same order, so `COLLATE "C"` (byte order) sorts encoded keys exactly as their originals sort by
 * code point, and equality is preserved. Text without U+0000/U+0001 (nearly all) is stored as is.
 */
export function encodeText(text: string): string {
  if (!text.includes("\u0000") && !text.includes("\u0001")) return text;
  return text.replace(/[\u0000\u0001]/g, (char) => (char === "\u0000" ? "\u0001\u0001" : "\u0001\u0002"));
}

/** The inverse of `encodeText`. */
export function decodeText(text: string): string {
  if (!text.includes("\u0001")) return text;
  return text.replace(/\u0001([\u0001\u0002])/g, (_, second: string) => (second === "\u0001" ? "\u0000" : "\u0001"));
}

/**
 * SHA-256 of the stored (encoded) key: the records' primary key uses it instead of the key itself,
 * because a btree entry is capped at 2704 bytes and a legal key (1024 characters of 3-byte UTF-8)
 * is 3072 bytes. A collision would need a SHA-256 collision.
 */
export function keyHash(storedKey: string): Buffer {
  return createHash("sha256").update(storedKey, "utf8").digest();
}

/**
 * A `SqlSession` (`sql.ts`) on `db`, the pool (autocommit) or a client inside a transaction. Text
 * crosses it through the U+0000 codec both ways: every string parameter is `encodeText`ed and
 * every string column `decodeText`d, so queries written once never think about it. Text without
 * U+0000/U+0001 passes unchanged, and jsonb parameters are JSON text, which escapes both. On a
 * client, the statements of one turn leave in one write (`sendTogether`).
 */
export function postgresSession(db: Queryable, options: { prepare?: boolean } = {}): SqlSession {
  const client = db instanceof pg.Client ? db : null;
  const query = async <Row>(built: SqlQuery) => {
    const { text, params } = renderSql(built, POSTGRES_DIALECT);
    if (client) sendTogether(client);
    // Only a template's own strings (frozen, `sql.ts`) name a statement: their texts are few and fixed.
    const name = options.prepare && Object.isFrozen(built.strings) ? statementName(text) : undefined;
    const result = await db.query({ text, values: params.map(encodeParam), name });
    return { rows: (result.rows as Record<string, unknown>[]).map(decodeRow) as Row[], rowCount: result.rowCount ?? 0 };
  };
  return {
    dialect: POSTGRES_DIALECT,
    all: async <Row>(built: SqlQuery) => (await query<Row>(built)).rows,
    get: async <Row>(built: SqlQuery) => (await query<Row>(built)).rows[0],
    run: async (built) => (await query(built)).rowCount,
  };
}

/** Names of prepared statements, per text, the same on every connection. */
const statementNames = new Map<string, string>();

/**
 * The name `text` is prepared under. A named statement is parsed and planned once per connection
 * (node-postgres remembers which it prepared there) instead of on every run; PostgreSQL plans it
 * again when a table it reads changes.
 */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) statementNames.set(text, (name = `syncpool_${statementNames.size + 1}`));
  return name;
}

/** Strings, and the strings of arrays (a batch's `text[]` columns), through the codec; anything else as is. */
const encodeParam = (value: unknown): unknown =>
  typeof value === "string" ? encodeText(value) : Array.isArray(value) ? value.map(encodeParam) : value;

function decodeRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const column in row) {
    const value = row[column];
    if (typeof value === "string") row[column] = decodeText(value);
  }
  return row;
}
