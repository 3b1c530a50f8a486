/**
 * A record's value as the admin reads it: STRING as it is, JSON pretty-printed, YDOC decoded with
 * yjs in the page and shown as the text of its Y.Text parts and the JSON of its Y.Map parts.
 * Whatever cannot be decoded says so instead of failing the page.
 */
import * as Y from "yjs";
import { decodeBase64 } from "../../core/base64.js";

/** The readable text of a record value of `kind`; null for a deleted record. */
export function renderRecordValue(kind: string, value: string | null): string {
  if (value === null) return "(deleted)";
  if (kind === "JSON") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  if (kind === "YDOC") return renderYdoc(value);
  return value;
}

/** Each top-level shared type of the document, as `name: content`. */
function renderYdoc(base64: string): string {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, decodeBase64(base64));
    const parts: string[] = [];
    for (const [name, type] of doc.share) {
      // An update does not say which type a root is: a root with map entries is a Y.Map, one with
      // a sequence is read as Y.Text (arrays and XML show their text form too).
      if (type._map.size > 0) parts.push(`${name}: ${JSON.stringify(doc.getMap(name).toJSON(), null, 2)}`);
      else if (type._start !== null) parts.push(`${name}: ${doc.getText(name).toString()}`);
    }
    return parts.length > 0 ? parts.join("\n") : "(empty document)";
  } catch (error) {
    return `(not a readable Yjs update: ${error instanceof Error ? error.message : String(error)})`;
  } finally {
    doc.destroy();
  }
}
