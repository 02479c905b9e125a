import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { greeting, MAX_NAME_LENGTH } from "../../src/greeting.mjs";

describe("greeting", () => {
  for (const [name, expected] of [
    ["ci", "hello, ci"],
    ["  padded  ", "hello, padded"],
    ["", "hello, world"],
    ["   ", "hello, world"],
    [null, "hello, world"],
    [undefined, "hello, world"],
  ]) {
    it(`greets ${JSON.stringify(name)} as "${expected}"`, () => {
      assert.equal(greeting(name), expected);
    });
  }

  it(`accepts a name of exactly ${MAX_NAME_LENGTH} characters`, () => {
    assert.equal(greeting("x".repeat(MAX_NAME_LENGTH)), `hello, ${"x".repeat(MAX_NAME_LENGTH)}`);
  });

  it("fails when the name is over the limit", () => {
    assert.throws(() => greeting("x".repeat(MAX_NAME_LENGTH + 1)), {
      name: "RangeError",
      message: `name is ${MAX_NAME_LENGTH + 1} characters, over ${MAX_NAME_LENGTH}`,
    });
  });
});
