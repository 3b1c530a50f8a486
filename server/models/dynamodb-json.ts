/**
 * DynamoDB JSON as a table export writes it (one `{"Item": {...}}` per line, each attribute
 * typed: `{"S": "…"}`, `{"N": "…"}`, `{"BOOL": …}`, `{"NULL": true}`, `{"M": {…}}`, `{"L": […]}`,
 * `{"SS"|"NS": […]}`), read into plain JSON values for `syncpool models import`.
 */

/** A line that is not an exported item, with its 1-based line number. */
export class DynamoJsonError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** One typed attribute as plain JSON. @throws Error naming the type it cannot read. */
export function attributeValue(attribute: unknown): unknown {
  if (attribute === null || typeof attribute !== "object" || Array.isArray(attribute)) throw new Error("expected a typed attribute such as {\"S\": \"…\"}");
  const entries = Object.entries(attribute);
  if (entries.length !== 1) throw new Error("expected exactly one type per attribute");
  const [type, value] = entries[0]!;
  switch (type) {
    case "S":
      if (typeof value !== "string") throw new Error("S must hold a string");
      return value;
    case "N": {
      const number = Number(value);
      if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(number)) throw new Error("N must hold a number as a string");
      return number;
    }
    case "BOOL":
      if (typeof value !== "boolean") throw new Error("BOOL must hold true or false");
      return value;
    case "NULL":
      return null;
    case "M":
      return attributeMap(value);
    case "L":
      if (!Array.isArray(value)) throw new Error("L must hold a list");
      return value.map(attributeValue);
    case "SS":
    case "NS":
      if (!Array.isArray(value)) throw new Error(`${type} must hold a list`);
      return value.map((item) => attributeValue({ [type[0]!]: item }));
    default:
      throw new Error(`attributes of type ${type} are not read`);
  }
}

function attributeMap(map: unknown): Record<string, unknown> {
  if (map === null || typeof map !== "object" || Array.isArray(map)) throw new Error("M must hold an object");
  const object: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(map)) {
    try {
      object[name] = attributeValue(attribute);
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`);
    }
  }
  return object;
}

/** The items of an export's text, in order; blank lines are skipped. @throws DynamoJsonError at the first bad line. */
export function parseDynamoExport(text: string): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new DynamoJsonError(index + 1, "not JSON");
    }
    const item = (parsed as { Item?: unknown } | null)?.Item;
    if (item === undefined) throw new DynamoJsonError(index + 1, 'expected {"Item": {...}}');
    try {
      items.push(attributeMap(item));
    } catch (error) {
      throw new DynamoJsonError(index + 1, (error as Error).message);
    }
  });
  return items;
}
