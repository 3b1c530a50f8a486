// Properties run with a fixed seed; on failure fast-check prints the seed and the counterexample
// path. Replay with: FC_SEED=<seed> npx vitest run test/unit/storage-postgres-rows.test.ts
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeText, encodeText } from "../../server/storage/postgres-rows.js";
import { compareCodePoints } from "../conformance/storage-fixtures.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_260_101;
/** Strings dense in the characters the codec treats specially, plus ordinary and astral ones. */
const text = fc
  .array(fc.constantFrom("\u0000", "\u0001", "\u0002", "a", "~", "\u00e9", "\uff5e", "\u{1f600}"), { maxLength: 8 })
  .map((chars) => chars.join(""));

describe("PostgreSQL text codec", () => {
  it("round-trips every string and leaves text without U+0000/U+0001 untouched", () => {
    fc.assert(fc.property(text, (value) => decodeText(encodeText(value)) === value), { seed });
    const plain = fc.string({ unit: "grapheme" }).filter((value) => !/[\u0000\u0001]/.test(value));
    fc.assert(fc.property(plain, (value) => encodeText(value) === value), { seed });
  });

  it("never stores U+0000", () => {
    fc.assert(fc.property(text, (value) => !encodeText(value).includes("\u0000")), { seed });
  });

  it("keeps code point order, so COLLATE \"C\" sorts encoded keys like their originals", () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        return Math.sign(compareCodePoints(encodeText(a), encodeText(b))) === Math.sign(compareCodePoints(a, b));
      }),
      { seed },
    );
    expect(["a\u0001", "a", "a\u0000"].map(encodeText).sort(compareCodePoints).map(decodeText)).toEqual(["a", "a\u0000", "a\u0001"]);
  });
});
