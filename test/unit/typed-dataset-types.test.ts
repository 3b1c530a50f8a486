/** A typed dataset's TypeScript types: the fixture compiles, and each wrong usage in it is an error. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("typed dataset types", () => {
  it("infer values from the schema and refuse wrong usage at compile time", () => {
    const args = ["tsc", "--noEmit", "--strict", "--skipLibCheck", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2022", "--lib", "ES2023,ESNext.Disposable,DOM,DOM.Iterable", "test/fixtures/typed-dataset/usage.ts"];
    // An unused @ts-expect-error is itself an error, so every wrong line must really be wrong.
    const output = (() => {
      try {
        return execFileSync("npx", args, { encoding: "utf8" });
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? error);
      }
    })();
    expect(output).toBe("");
  }, 120_000);
});
