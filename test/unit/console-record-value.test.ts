/**
 * How the console shows a record's value (`console/src/record-value.ts`): STRING as it is, JSON
 * pretty-printed, YDOC decoded into the text of its Y.Text roots and the JSON of its Y.Map roots,
 * and a value that is not a Yjs update said so instead of breaking the page.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeBase64 } from "../../core/base64.js";
import { renderRecordValue } from "../../console/src/record-value.js";

describe("console record values", () => {
  it("shows STRING values as they are and deleted records as deleted", () => {
    expect(renderRecordValue("STRING", "  <b>as is</b> ")).toBe("  <b>as is</b> ");
    expect(renderRecordValue("STRING", null)).toBe("(deleted)");
  });

  it("pretty-prints JSON values", () => {
    expect(renderRecordValue("JSON", '{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
  });

  it("decodes a YDOC into its text and map roots", () => {
    const doc = new Y.Doc();
    doc.getText("body").insert(0, "hello");
    doc.getMap("meta").set("pinned", true);
    const shown = renderRecordValue("YDOC", encodeBase64(Y.encodeStateAsUpdate(doc)));
    expect(shown).toContain("body: hello");
    expect(shown).toContain('meta: {\n  "pinned": true\n}');
  });

  it("says a YDOC value is unreadable instead of throwing", () => {
    expect(renderRecordValue("YDOC", encodeBase64(new Uint8Array([255, 255, 255])))).toMatch(/^\(not a readable Yjs update/);
    expect(renderRecordValue("YDOC", "not base64!")).toMatch(/^\(not a readable Yjs update/);
  });
});
