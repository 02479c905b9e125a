import { describe, expect, it } from "vitest";
import {
  describeTarget,
  diagnoseSshCheck,
  sshCheckArgs,
  sshTarget,
  type SshTarget,
} from "./preflight";
import type { CiHostConfig } from "../../components/config/types";

const target: SshTarget = {
  name: "ci-testing-2",
  user: "deploy",
  host: "ci-2.example.com",
  port: 22,
};
const fail = (stderr: string, code = 255) => ({ code, stderr, stdout: "" });
const who = "ciHosts.ci-testing-2 (deploy@ci-2.example.com:22)";

// stderr as OpenSSH 9.2 (Debian 12) prints it, captured from the SSH host integration test.
const CHANGED = [
  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
  "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
  "Host key for ci-2.example.com has changed and you have requested strict checking.",
  "Host key verification failed.",
].join("\r\n");

describe("sshCheckArgs", () => {
  it("logs in without a prompt, bounded, as the stack's user, with the host after --", () => {
    expect(sshCheckArgs({ ...target, port: 2222 })).toEqual([
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
      "-p",
      "2222",
      "-l",
      "deploy",
      "--",
      "ci-2.example.com",
      "docker version --format '{{.Server.Version}}'",
    ]);
  });

  it("has no target for a local engine", () => {
    const host = { name: "h", dockerHost: { scheme: "unix", url: "unix:///x", socketPath: "/x" } };
    expect(sshTarget(host as unknown as CiHostConfig)).toBeUndefined();
    expect(describeTarget(target)).toBe(who);
  });
});

describe("diagnoseSshCheck", () => {
  it("passes when docker answered", () => {
    expect(diagnoseSshCheck(target, { code: 0, stderr: "", stdout: "20.10.24\n" })).toBeUndefined();
  });

  it.each([
    [
      "a changed host key",
      fail(CHANGED),
      `${who} offered a different SSH host key from the one in known_hosts: if the host was rebuilt, confirm its new key's fingerprint with whoever rebuilt it, then run ssh-keygen -R ci-2.example.com and connect once to record the new key; otherwise do not connect`,
    ],
    [
      "an unknown host key",
      fail(
        "No ED25519 host key is known for ci-2.example.com and you have requested strict checking.\r\nHost key verification failed.\r\n",
      ),
      `${who} has no host key in known_hosts and BatchMode cannot ask: check its fingerprint, then record it with ssh-keyscan -p 22 ci-2.example.com >> ~/.ssh/known_hosts`,
    ],
    [
      "a refused key",
      fail("deploy@ci-2.example.com: Permission denied (publickey).\r\n"),
      `${who} refused every SSH key offered: add your public key to ~deploy/.ssh/authorized_keys on the host, or load the right key into your agent (ssh-add; SSH_AUTH_SOCK must be set)`,
    ],
    [
      "a stopped sshd",
      fail("ssh: connect to host ci-2.example.com port 22: Connection refused\r\n"),
      `${who} refused the connection on port 22: start sshd on the host, or fix the port in ciHosts.ci-testing-2.dockerHost`,
    ],
    [
      "a host that does not answer",
      fail("ssh: connect to host ci-2.example.com port 22: Connection timed out\r\n"),
      `${who} did not answer on port 22 within 10 s: check that the host is up and reachable from this machine (network, VPN, firewall)`,
    ],
    [
      "a name that does not resolve",
      fail("ssh: Could not resolve hostname ci-2.example.com: Name or service not known\r\n"),
      `${who}: ci-2.example.com does not resolve; fix ciHosts.ci-testing-2.dockerHost or your DNS`,
    ],
    [
      "no docker on the host",
      fail("bash: line 1: docker: command not found\n", 127),
      `${who} has no docker on deploy's PATH: install Docker on the host (the deploy user's login shell must find docker)`,
    ],
    [
      "an engine the user cannot reach",
      fail(
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
        1,
      ),
      `${who}: docker on the host cannot reach its engine as deploy (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?); start dockerd, or give deploy access to its socket`,
    ],
  ])("names the host and the fix for %s", (_, result, message) => {
    expect(diagnoseSshCheck(target, result)).toBe(message);
  });

  it("records a key off port 22 as ssh-keygen -R expects it", () => {
    expect(diagnoseSshCheck({ ...target, port: 2222 }, fail(CHANGED))).toContain(
      "run ssh-keygen -R '[ci-2.example.com]:2222' and connect once",
    );
  });

  it("names the bound when the whole check timed out", () => {
    expect(diagnoseSshCheck(target, { code: -1, stderr: "", stdout: "" }, true)).toBe(
      `${who} did not finish the SSH check within 30 s; check that sshd and docker answer on the host (ssh -p 22 deploy@ci-2.example.com docker version --format '{{.Server.Version}}')`,
    );
  });

  it("falls back to ssh's last line for anything else", () => {
    expect(
      diagnoseSshCheck(
        target,
        fail("kex_exchange_identification: read: Connection reset by peer\r\n"),
      ),
    ).toBe(
      `${who}: the SSH check failed (exit 255): kex_exchange_identification: read: Connection reset by peer`,
    );
  });
});
