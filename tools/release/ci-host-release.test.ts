import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { validatedStackConfig } from "../stack-config";
import { parseReleaseArgs } from "./args";
import { planCiHostRelease, RELEASE_SCRIPT, releaseCommand } from "./ci-host-release";

const ROOT = resolve(__dirname, "..", "..");
const testing = validatedStackConfig(ROOT, "testing");
const staging = validatedStackConfig(ROOT, "staging");
const args = (argv: string) => parseReleaseArgs(argv.split(" "));

describe("planCiHostRelease", () => {
  it("gives release.sh the service's ports, the host's proxy and network, and the image", () => {
    const plan = planCiHostRelease(testing, args("api 1.4.3 --stack testing --grace 5"));
    expect(plan.host.name).toBe("ci-testing-1");
    expect(plan.env).toEqual({
      ACTION: "release",
      SERVICE: "api",
      STACK: "testing",
      IMAGE: "api:1.4.3",
      APP_HOST_PORT: "5060",
      BLUE_PORT: "6060",
      GREEN_PORT: "7060",
      PROXY_CONTAINER: "testing-release-proxy",
      PROXY_LIVE_DIR: "/var/lib/release-proxy/live",
      PROXY_CONF: "/etc/ci-platform/release-proxy.conf",
      BACKEND_NETWORK: "testing-backend",
      RESOLVER_IP: "172.18.0.2",
      SEARCH_DOMAIN: "us-east-1.example.com",
      HEALTH_PATH: "/health",
      APP_MEMORY: "256m",
      RELEASE_GRACE: "5",
    });
  });

  it("rolls back without an image", () => {
    const plan = planCiHostRelease(testing, args("api --rollback --stack testing"));
    expect(plan.env["ACTION"]).toBe("rollback");
    expect(plan.env["IMAGE"]).toBeUndefined();
  });

  it.each([
    [
      "search 1.0.0 --stack testing --host ci-9",
      "ci-9 is not a CI host of testing; use one of ci-testing-1",
    ],
    ["api --switch --stack testing", "--switch is for aws stacks"],
  ])("fails for %s", (argv, message) => {
    expect(() => planCiHostRelease(testing, args(argv))).toThrow(message);
  });

  it("runs this repository's release.sh against a local engine", () => {
    const plan = planCiHostRelease(testing, args("api 1.4.3 --stack testing"));
    const command = releaseCommand(plan, "/var/lib/jenkins", "/etc/systemd/system");
    expect(command.command).toBe("bash");
    expect(command.args).toEqual([RELEASE_SCRIPT]);
    expect(command.env["DOCKER_HOST"]).toBe("unix:///var/run/docker.sock");
  });

  it("runs the host's own release.sh over SSH on an SSH host, sharing Jenkins' deploy lease", () => {
    const plan = planCiHostRelease(staging, args("api 1.4.3 --stack staging"));
    const command = releaseCommand(plan, "/var/lib/jenkins", "/etc/systemd/system");
    expect(command.command).toBe("ssh");
    expect(command.args.slice(0, 5)).toEqual([
      "-o",
      "BatchMode=yes",
      "-p",
      "22",
      "deploy@ci-staging-1.example.com",
    ]);
    expect(command.args[5]).toMatch(
      /^ACTION='release' .* bash -c 'bash \/var\/lib\/jenkins\/ci-platform\/pipeline\/release\.sh'$/,
    );
    expect(command.args[5]).toContain("PROXY_CONTAINER='staging-release-proxy'");
  });
});
