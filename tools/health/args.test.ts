import { describe, expect, it } from "vitest";
import { parseHealthArgs, USAGE } from "./args";

describe("parseHealthArgs", () => {
  it("defaults: one round, 3 s per probe, 16 at once, a table", () => {
    expect(parseHealthArgs(["--stack", "testing"])).toEqual({
      stack: "testing",
      file: undefined,
      timeoutMs: 3000,
      concurrency: 16,
      json: false,
      serve: undefined,
      intervalMs: 5000,
      historySize: 20,
      help: false,
    });
  });

  it.each<[string[], Record<string, unknown>]>([
    [["-s", "staging", "--json"], { stack: "staging", json: true }],
    [["--stack=production", "--timeout-ms=500"], { stack: "production", timeoutMs: 500 }],
    [["--file", "e.json"], { stack: undefined, file: "e.json" }],
    [
      ["--stack", "testing", "--serve", "0", "--interval-ms", "1000", "--history", "5"],
      { serve: 0, intervalMs: 1000, historySize: 5 },
    ],
    [["--stack", "testing", "--concurrency", "1"], { concurrency: 1 }],
    [["--help"], { help: true }],
  ])("%j", (argv, expected) => {
    expect(parseHealthArgs(argv)).toMatchObject(expected);
  });

  it.each<[string[], string]>([
    [[], "--stack is required (or --file)"],
    [["--stack"], "--stack needs a value"],
    [["--stack", "testing", "--verbose"], "unknown argument --verbose"],
    [
      ["--stack", "testing", "--timeout-ms", "0"],
      '--timeout-ms "0" is not a whole number from 1 to 600000',
    ],
    [
      ["--stack", "testing", "--timeout-ms", "3s"],
      '--timeout-ms "3s" is not a whole number from 1 to 600000',
    ],
    [
      ["--stack", "testing", "--serve", "70000"],
      '--serve "70000" is not a whole number from 0 to 65535',
    ],
    [
      ["--stack", "testing", "--serve", "8080", "--json"],
      "--json prints one round; it does not combine with --serve (use /api/status)",
    ],
    [["--stack", "testing", "--history", "5"], "--history only applies with --serve"],
  ])("fails on %j", (argv, message) => {
    expect(() => parseHealthArgs(argv)).toThrow(`${message}\n${USAGE}`);
  });
});
