import { spawnSync } from "node:child_process";
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
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { containerName } from "../docker/docker-render";
import {
  PROXY_CONTAINER_LAYOUT,
  proxyExecCommand,
  renderInstallServersScript,
  renderProxyEntrypoint,
  renderLiveSlotConf,
  renderReleaseProxyConf,
  renderSwitchScript,
} from "./release-render";
import { otherSlot, slotContainerName, slotPorts, SLOTS, type Slot } from "../model/slots";

const LIB = path.resolve(__dirname, "../jenkins/pipeline/lib.sh");

const api = { name: "api", hostPort: 5060, slotPorts: slotPorts(5060) };
const cart = { name: "cart", hostPort: 5123, slotPorts: slotPorts(5123) };

describe("slots", () => {
  it.each([
    [5060, 6060, 7060],
    [5001, 6001, 7001],
    [5999, 6999, 7999],
  ])("puts the slots of public port %i on %i and %i", (hostPort, blue, green) => {
    expect(slotPorts(hostPort)).toEqual({ blue, green });
  });

  it("alternates between the two slots", () => {
    expect(SLOTS.map(otherSlot)).toEqual(["green", "blue"]);
    expect(slotContainerName("testing", "api", "green")).toBe("testing-api-green");
  });
});

describe("renderReleaseProxyConf", () => {
  const conf = renderReleaseProxyConf(PROXY_CONTAINER_LAYOUT, [cart, api]);

  it("serves each service on its public port, blue until its live file says otherwise", () => {
    expect(conf).toContain(
      [
        "  server {",
        "    listen 127.0.0.1:5060;",
        "    set $live_slot blue;",
        "    set $live_upstream 127.0.0.1:6060;",
        "    include /var/lib/release-proxy/live/api.con[f];",
        "    location / {",
        "      proxy_pass http://$live_upstream;",
        "      add_header X-Release-Slot $live_slot always;",
        "    }",
        "  }",
      ].join("\n"),
    );
    expect(conf).toContain("listen 127.0.0.1:5123;");
  });

  it("renders the same bytes whatever the order of services", () => {
    expect(renderReleaseProxyConf(PROXY_CONTAINER_LAYOUT, [api, cart])).toBe(conf);
    expect(conf.indexOf("# api:")).toBeLessThan(conf.indexOf("# cart:"));
  });

  it("keeps no connection to a slot open across a switch", () => {
    expect(conf).toContain('proxy_set_header Connection "";');
    expect(conf).not.toContain("keepalive ");
  });
});

describe("live files", () => {
  it.each(SLOTS)("names the %s slot and its port", (slot: Slot) => {
    const text = renderLiveSlotConf(slot, api.slotPorts);
    expect(text).toBe(
      `set $live_slot ${slot};\nset $live_upstream 127.0.0.1:${api.slotPorts[slot]};\n`,
    );
  });

  it.each(SLOTS)("is written by the pipeline's shell with the same bytes (%s)", (slot) => {
    const r = spawnSync(
      "bash",
      // No ~/.bashrc: bash reads it when stdin is a socket, as Node's pipes are.
      ["--norc", "-c", 'set -euo pipefail; source "$1"; render_live_conf "$2"', "bash", LIB, slot],
      {
        encoding: "utf8",
        timeout: 10_000,
        env: { PATH: process.env["PATH"] ?? "", BLUE_PORT: "6060", GREEN_PORT: "7060" },
      },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(renderLiveSlotConf(slot, api.slotPorts));
  });
});

describe("renderSwitchScript", () => {
  const script = renderSwitchScript(PROXY_CONTAINER_LAYOUT, { ...api, liveSlot: "green" });

  it("replaces the service's live file atomically, then checks and reloads nginx", () => {
    expect(script.trim().split("\n")).toEqual([
      "set -eu",
      "mkdir -p /var/lib/release-proxy/live",
      "printf '%s' 'set $live_slot green;",
      "set $live_upstream 127.0.0.1:7060;",
      "' > /var/lib/release-proxy/live/api.conf.tmp",
      "mv /var/lib/release-proxy/live/api.conf.tmp /var/lib/release-proxy/live/api.conf",
      "nginx -q -t -c /etc/ci-platform/release-proxy.conf",
      "nginx -s reload -c /etc/ci-platform/release-proxy.conf",
    ]);
  });
});

/**
 * The proxy's commands with hostile names, run by a real `sh -c` as the host runs them, with
 * stand-ins for docker (prints its argv) and nginx: a payload that ran would create `pwned`.
 */
describe("the release proxy's commands, with hostile stack and service names", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "proxy-quoting-"));
  const bin = path.join(scratch, "bin");
  const marker = path.join(scratch, "pwned");
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  mkdirSync(bin);
  for (const [name, body] of [
    ["docker", `printf '%s\\0' "$@"`],
    ["nginx", "true"],
  ] as const) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  const sh = (command: string) =>
    spawnSync("sh", ["-c", command], {
      cwd: scratch,
      encoding: "utf8",
      timeout: 10_000,
      env: { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` },
    });
  const hostile = [
    ["a semicolon", "x;touch pwned"],
    ["a command substitution", "$(touch pwned)"],
    ["backticks", "`touch pwned`"],
    ["quotes", `it's "q"`],
    ["spaces", "a b"],
    ["a newline", "x\ntouch pwned"],
  ] as const;

  it("renders scripts that pass shellcheck", () => {
    for (const script of [
      renderSwitchScript(PROXY_CONTAINER_LAYOUT, { ...api, liveSlot: "green" }),
      renderInstallServersScript(PROXY_CONTAINER_LAYOUT),
      renderProxyEntrypoint(PROXY_CONTAINER_LAYOUT),
    ]) {
      // SC2016: the live file's `$live_slot` is nginx's variable, single-quoted on purpose.
      const r = spawnSync("shellcheck", ["-s", "sh", "-e", "SC2016", "-"], {
        input: script,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
  });

  it("names the container bare when its name needs no quoting, as before", () => {
    expect(proxyExecCommand("testing-release-proxy", "nginx -s reload", true)).toBe(
      "docker exec -i testing-release-proxy sh -c 'nginx -s reload'",
    );
  });

  it.each(hostile)(
    "execs in exactly the stack's container for a stack name with %s",
    (_, stack) => {
      const container = containerName(stack, "release-proxy");
      const script = renderSwitchScript(PROXY_CONTAINER_LAYOUT, { ...api, liveSlot: "green" });
      const r = sh(proxyExecCommand(container, script));
      expect(existsSync(marker), "a payload ran").toBe(false);
      expect(r.stderr).toBe("");
      expect(r.stdout.split("\0")).toEqual(["exec", container, "sh", "-c", script, ""]);
      const withStdin = sh(proxyExecCommand(container, "cat", true));
      expect(withStdin.stdout.split("\0")).toEqual([
        "exec",
        "-i",
        container,
        "sh",
        "-c",
        "cat",
        "",
      ]);
    },
  );

  it.each(hostile)("switches exactly the service's live file for a name with %s", (_, name) => {
    const liveDir = path.join(scratch, "live");
    rmSync(liveDir, { recursive: true, force: true });
    const layout = { ...PROXY_CONTAINER_LAYOUT, liveDir };
    const r = sh(renderSwitchScript(layout, { ...api, name, liveSlot: "green" }));
    expect(existsSync(marker), "a payload ran").toBe(false);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(liveDir, `${name}.conf`), "utf8")).toBe(
      renderLiveSlotConf("green", api.slotPorts),
    );
  });
});
