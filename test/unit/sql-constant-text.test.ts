/**
 * `sql` (server/storage/sql.ts): a template that splices constant text (a module's `raw` column
 * list) gives the same frozen strings on every call after the first, as a plain template does, so
 * its text is rendered once and PostgreSQL prepares it; fragments made per call are never frozen.
 */
import { expect, it } from "vitest";
import { raw, renderSql, POSTGRES_DIALECT, sql } from "../../server/storage/sql.js";

const COLUMNS = raw("a, b");
const select = (id: string, columns = COLUMNS) => sql`SELECT ${columns} FROM t WHERE id = ${id}`;

it("gives a template spliced with the same constant text one frozen strings array from its second call on", () => {
  select("x");
  const second = select("y");
  const third = select("z");
  expect(Object.isFrozen(second.strings)).toBe(true);
  expect(third.strings).toBe(second.strings);
  expect(third.values).toEqual(["z"]);
  expect(renderSql(third, POSTGRES_DIALECT)).toEqual({ text: "SELECT a, b FROM t WHERE id = $1", params: ["z"] });
});

it("never freezes a template spliced with text made per call", () => {
  for (const id of ["x", "y", "z"]) {
    const query = select(id, raw(`c_${id}`));
    expect(Object.isFrozen(query.strings)).toBe(false);
    expect(renderSql(query, POSTGRES_DIALECT).text).toBe(`SELECT c_${id} FROM t WHERE id = $1`);
  }
});
