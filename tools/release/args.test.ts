import { describe, expect, it } from "vitest";
import { parseReleaseArgs } from "./args";

describe("parseReleaseArgs", () => {
  it("reads a release", () => {
    expect(parseReleaseArgs(["api", "1.4.3", "--stack", "testing", "--grace=5"])).toEqual({
      service: "api",
      action: "release",
      version: "1.4.3",
      stack: "testing",
      host: undefined,
      image: undefined,
      graceSeconds: 5,
      root: undefined,
    });
  });

  // --switch and --finish are read so that the release can refuse them with the reason.
  it.each([
    [["api", "--rollback", "--stack", "staging"], "rollback"],
    [["api", "--switch", "--stack=production"], "switch"],
    [["--finish", "api", "--stack", "production"], "finish"],
  ])("reads %j as a %s", (argv, action) => {
    expect(parseReleaseArgs(argv)).toMatchObject({ service: "api", action, version: undefined });
  });

  it.each([
    [["api", "1.4.3"], "usage:\n  npm run release -- <service> <version> --stack <stack>"],
    [["api", "--stack", "testing"], "which version of api?"],
    [
      ["api", "1.4.3", "--rollback", "--stack", "testing"],
      "--rollback takes no version (got 1.4.3)",
    ],
    [
      ["api", "--rollback", "--switch", "--stack", "testing"],
      "give one action, not --rollback and --switch",
    ],
    [["api", "1", "--stack"], "--stack needs a value"],
    [
      ["api", "1", "--stack", "testing", "--grace", "soon"],
      "--grace soon is not a whole number of seconds",
    ],
    [["api", "1", "--stack", "testing", "--force"], "unknown option --force"],
  ])("fails for %j", (argv, message) => {
    expect(() => parseReleaseArgs(argv)).toThrow(message);
  });

  it("documents release and rollback only, and what ECS does on an aws stack", () => {
    expect(() => parseReleaseArgs([])).toThrow(
      "usage:\n" +
        "  npm run release -- <service> <version> --stack <stack>   release <version> blue/green\n" +
        "  npm run release -- <service> --rollback --stack <stack>  make the previous release live again\n" +
        "CI hosts run the release on the host; on an aws stack each is one edit of Pulumi.<stack>.yaml\n" +
        "(version, previousVersion, liveSlot) that pulumi up applies as an ECS blue/green deployment, which\n" +
        "switches traffic, retires the old revision and rolls back a failed deployment by itself.\n" +
        "options:\n",
    );
  });
});
