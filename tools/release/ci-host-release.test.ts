import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../lib/process";
import { validatedStackConfig } from "../../lib/stack-config";
import { parseReleaseArgs } from "./args";
import {
  type CiHostRelease,
  planCiHostRelease,
  RELEASE_SCRIPT,
  releaseCommand,
} from "./ci-host-release";

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
      APP_CPUS: "0.5",
      APP_PIDS_LIMIT: "128",
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
    [
      "api --switch --stack testing",
      "--switch is gone: on CI hosts a release switches and retires slots itself, and on aws stacks ECS does",
    ],
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
    expect(command.args.slice(0, 8)).toEqual([
      "-o",
      "BatchMode=yes",
      "-p",
      "22",
      "-l",
      "deploy",
      "--",
      "ci-staging-1.example.com",
    ]);
    expect(command.args).toHaveLength(9);
    expect(command.args[8]).toMatch(
      /^ACTION='release' .* 'bash' '\/var\/lib\/jenkins\/ci-platform\/pipeline\/release\.sh'$/,
    );
    expect(command.args[8]).toContain("PROXY_CONTAINER='staging-release-proxy'");
  });
});

/**
 * The release over SSH with hostile values, run through a stand-in for ssh and sshd: ssh joins
 * the words after the destination with spaces and sshd has the login shell run the result with
 * `-c` (OpenSSH's ssh.c and session.c), so the stand-in does exactly that with `sh -c "$*"`.
 * A payload that ran would create the marker file in the working directory.
 */
describe("releaseCommand on an SSH host, with hostile values", () => {
  const scratch = mkdtempSync(join(tmpdir(), "release-quoting-"));
  const bin = join(scratch, "bin");
  const marker = join(scratch, "pwned");
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  mkdirSync(bin);
  writeFileSync(
    join(bin, "ssh"),
    `#!/bin/sh
# ssh [-o opt] [-p port] [-l user] [--] destination command...
while [ "$#" -gt 0 ]; do
  case $1 in
    -o|-p|-l) shift 2 ;;
    --) shift; break ;;
    -*) echo "stand-in ssh: unexpected option $1" >&2; exit 255 ;;
    *) break ;;
  esac
done
shift # the host
exec sh -c "$*"
`,
  );
  chmodSync(join(bin, "ssh"), 0o755);

  const payload = (tag: string): string =>
    `${tag} ;touch pwned; $(touch pwned) \`touch pwned\` ' " \\ \n touch pwned\n|| touch pwned &`;
  const hostile = [
    ["a semicolon", "x;touch pwned"],
    ["a command substitution", "$(touch pwned)"],
    ["backticks", "`touch pwned`"],
    ["quotes", `it's "quoted"`],
    ["spaces", "a b  c"],
    ["a newline", "x\ntouch pwned"],
    ["everything at once", payload("all")],
  ] as const;
  const sshHost = staging.ciHosts[0]!;

  it.each(hostile)(
    "runs release.sh at a jenkins.home with %s, and nothing else",
    async (_, value) => {
      const home = join(scratch, `home-${hostile.findIndex(([, v]) => v === value)}`, value);
      const pipeline = join(home, "ci-platform", "pipeline");
      mkdirSync(pipeline, { recursive: true });
      const out = join(scratch, "env.out");
      rmSync(out, { force: true });
      // Prints what it got, NUL-separated: its own path, then the values of its environment.
      writeFileSync(
        join(pipeline, "release.sh"),
        `printf '%s\\0' "$0" "$SERVICE" "$IMAGE" "$HEALTH_PATH" > ${JSON.stringify(out)}\n`,
      );
      const release: CiHostRelease = {
        host: sshHost,
        app: staging.apps[0]!,
        env: { SERVICE: value, IMAGE: `img:${value}`, HEALTH_PATH: `/${value}` },
      };
      const command = releaseCommand(release, home, "/etc/systemd/system");
      const result = await run(command.command, command.args, {
        cwd: scratch,
        env: { ...command.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` },
        timeoutMs: 10_000,
      });
      expect(existsSync(marker), "a payload ran").toBe(false);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(readFileSync(out, "utf8").split("\0")).toEqual([
        join(pipeline, "release.sh"),
        value,
        `img:${value}`,
        `/${value}`,
        "",
      ]);
    },
  );
});
