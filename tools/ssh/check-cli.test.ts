import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { CiHostConfig } from "../../components/config/types";
import { parseSshCheckArgs, sshCheck, targetsOf, USAGE } from "./check-cli";

const hosts = [
  {
    name: "ci-1",
    dockerHost: {
      scheme: "unix",
      url: "unix:///var/run/docker.sock",
      socketPath: "/var/run/docker.sock",
    },
  },
  {
    name: "ci-2",
    dockerHost: {
      scheme: "ssh",
      url: "ssh://deploy@ci-2.example.com:2222",
      user: "deploy",
      host: "ci-2.example.com",
      port: 2222,
    },
  },
] as unknown as CiHostConfig[];

describe("ssh-check arguments", () => {
  it("reads --stack, --host and --root", () => {
    expect(parseSshCheckArgs(["--stack", "staging", "--host", "ci-2", "--root", "/r"])).toEqual({
      stack: "staging",
      host: "ci-2",
      root: "/r",
    });
  });

  it.each([
    [[], `--stack is required\n${USAGE}`],
    [["--stack"], `--stack needs a value\n${USAGE}`],
    [["--stack", "staging", "--force"], `--force is not an option of ssh-check\n${USAGE}`],
  ])("fails for %j with a message naming the fix", (argv, message) => {
    expect(() => parseSshCheckArgs(argv)).toThrow(message);
  });
});

describe("targetsOf", () => {
  it("checks only the SSH hosts, with their user, host and port", () => {
    expect(targetsOf(hosts, "staging", undefined)).toEqual([
      { name: "ci-2", user: "deploy", host: "ci-2.example.com", port: 2222 },
    ]);
    expect(targetsOf(hosts, "staging", "ci-1")).toEqual([]);
  });

  it("fails when --host is not a CI host of the stack", () => {
    expect(() => targetsOf(hosts, "staging", "ci-9")).toThrow(
      "ci-9 is not a CI host of staging; use one of ci-1, ci-2",
    );
  });

  it("says there is nothing to check on a stack of local engines", async () => {
    expect(await sshCheck(["--stack", "testing"], resolve(__dirname, "../.."))).toEqual({
      ok: true,
      lines: ["testing has no SSH CI host to check (its engines are local unix:// sockets)"],
    });
  });
});
