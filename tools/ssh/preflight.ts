/**
 * Can this machine reach a CI host over SSH the way the program will? One bounded login that runs
 * `docker version` as the deploy user, and a diagnosis of OpenSSH's failure that names the host
 * and the fix. Used before `npm run release` on an SSH host, and by `npm run ssh-check` (run it
 * before `pulumi up` on a new host).
 */
import { run, type RunResult } from "../../lib/process";
import type { CiHostConfig } from "../../components/config/types";

/** ssh's `ConnectTimeout`: how long a host that does not answer may take to fail. */
export const SSH_CONNECT_TIMEOUT_SECONDS = 10;
/** The whole check (login plus `docker version`) is killed after this long. */
export const SSH_CHECK_TIMEOUT_MS = 30_000;

/** What the login runs on the host: the engine's version, as the deploy user sees it. */
export const REMOTE_CHECK = "docker version --format '{{.Server.Version}}'";

export interface SshTarget {
  /** The CI host's name in the stack (`ciHosts.<name>`). */
  readonly name: string;
  readonly user: string;
  readonly host: string;
  readonly port: number;
}

/** The SSH target of a CI host, or undefined for a local (`unix://`) engine. */
export function sshTarget(host: CiHostConfig): SshTarget | undefined {
  const d = host.dockerHost;
  return d.scheme === "ssh"
    ? { name: host.name, user: d.user, host: d.host, port: d.port }
    : undefined;
}

/** `ssh` argv of the check: BatchMode (never a prompt), bounded connect, user and host as the program gives them. */
export function sshCheckArgs(target: SshTarget): string[] {
  return [
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${SSH_CONNECT_TIMEOUT_SECONDS}`,
    "-p",
    String(target.port),
    "-l",
    target.user,
    "--",
    target.host,
    REMOTE_CHECK,
  ];
}

/** `ciHosts.<name> (user@host:port)`: how every message names the host. */
export function describeTarget(target: SshTarget): string {
  return `ciHosts.${target.name} (${target.user}@${target.host}:${target.port})`;
}

/**
 * The reason an SSH check failed, with its fix, from ssh's exit code and stderr; undefined when
 * the check passed. `timedOut` is true when the harness killed it at `SSH_CHECK_TIMEOUT_MS`.
 */
export function diagnoseSshCheck(
  target: SshTarget,
  result: Pick<RunResult, "code" | "stderr" | "stdout">,
  timedOut = false,
): string | undefined {
  const who = describeTarget(target);
  const err = result.stderr;
  if (result.code === 0 && result.stdout.trim() !== "") return undefined;
  if (timedOut)
    return `${who} did not finish the SSH check within ${SSH_CHECK_TIMEOUT_MS / 1000} s; check that sshd and docker answer on the host (ssh -p ${target.port} ${target.user}@${target.host} ${REMOTE_CHECK})`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/.test(err))
    return `${who} offered a different SSH host key from the one in known_hosts: if the host was rebuilt, confirm its new key's fingerprint with whoever rebuilt it, then run ssh-keygen -R ${knownHostsName(target)} and connect once to record the new key; otherwise do not connect`;
  if (/Host key verification failed|No .* host key is known/.test(err))
    return `${who} has no host key in known_hosts and BatchMode cannot ask: check its fingerprint, then record it with ssh-keyscan -p ${target.port} ${target.host} >> ~/.ssh/known_hosts`;
  if (/Permission denied \(/.test(err))
    return `${who} refused every SSH key offered: add your public key to ~${target.user}/.ssh/authorized_keys on the host, or load the right key into your agent (ssh-add; SSH_AUTH_SOCK must be set)`;
  if (/Connection refused/.test(err))
    return `${who} refused the connection on port ${target.port}: start sshd on the host, or fix the port in ciHosts.${target.name}.dockerHost`;
  if (/Connection timed out|No route to host|Network is unreachable|timed out/.test(err))
    return `${who} did not answer on port ${target.port} within ${SSH_CONNECT_TIMEOUT_SECONDS} s: check that the host is up and reachable from this machine (network, VPN, firewall)`;
  if (/Could not resolve hostname/.test(err))
    return `${who}: ${target.host} does not resolve; fix ciHosts.${target.name}.dockerHost or your DNS`;
  if (result.code === 127 || /docker: (command )?not found/.test(err))
    return `${who} has no docker on ${target.user}'s PATH: install Docker on the host (the deploy user's login shell must find docker)`;
  if (/Cannot connect to the Docker daemon|permission denied while trying to connect/.test(err))
    return `${who}: docker on the host cannot reach its engine as ${target.user} (${lastLine(err)}); start dockerd, or give ${target.user} access to its socket`;
  return `${who}: the SSH check failed (exit ${result.code}): ${lastLine(err) || "no output"}`;
}

/** The name known_hosts records: `host`, or `[host]:port` off port 22. */
function knownHostsName(target: SshTarget): string {
  return target.port === 22 ? target.host : `'[${target.host}]:${target.port}'`;
}

function lastLine(text: string): string {
  return text.trim().split("\n").slice(-1)[0]?.trim() ?? "";
}

export interface SshCheckResult {
  readonly target: SshTarget;
  /** The engine's version when the check passed. */
  readonly dockerVersion: string | undefined;
  /** Why it failed, naming the host and the fix; undefined when it passed. */
  readonly problem: string | undefined;
  readonly seconds: number;
}

/** Runs the check against one host (`ssh` from PATH, so the user's ssh config applies). */
export async function checkSsh(target: SshTarget): Promise<SshCheckResult> {
  const started = Date.now();
  const result = await run("ssh", sshCheckArgs(target), { timeoutMs: SSH_CHECK_TIMEOUT_MS });
  const seconds = (Date.now() - started) / 1000;
  const timedOut = result.code === -1 && seconds * 1000 >= SSH_CHECK_TIMEOUT_MS - 100;
  const problem = diagnoseSshCheck(target, result, timedOut);
  return {
    target,
    dockerVersion: problem === undefined ? result.stdout.trim() : undefined,
    problem,
    seconds,
  };
}
