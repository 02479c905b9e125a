/**
 * A second machine for the program, reached only over SSH: a network namespace of the test's own,
 * joined to the test's namespace by a veth pair, running Debian's `sshd` (its own config, host key
 * and authorised key, listening only on the namespace's address) and a private `dockerd` (own
 * socket, data and exec roots) inside it.
 *
 * Addresses: 10.231.0.0/30, used only by this harness and only on the veth pair it creates —
 * `.1` on the test's end, `.2` (the host) in the namespace. Nothing is routed beyond the pair.
 *
 * The client side is what a user's machine would have: a known-hosts file the harness writes, a
 * key of its own held only by an `ssh-agent` (`SSH_AUTH_SOCK`), `BatchMode=yes`. OpenSSH reads `~/.ssh/config` from the passwd entry's home
 * (not `$HOME`), so the client's settings come from an `ssh` on the front of PATH that adds
 * `-F <config>`; the docker CLI's `ssh://` transport, the release CLI and the harness all run
 * that `ssh`. On the host side, the key's `environment=` options (`PermitUserEnvironment`) give
 * every session the private engine's `DOCKER_HOST`, a `CI_LOCK_DIR` under the harness's dir (the
 * pipeline's deploy leases) and a PATH whose first directory is `remoteBin`, where a test may
 * place stand-ins (apt, systemd) for the remote side.
 *
 * This module does not import vitest.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnDaemon, within, type SpawnedDaemon } from "./daemon";
import { dockerCli, startDockerd, type PrivateDockerd } from "./dockerd";
import { run, runOk, sleep, waitFor, which, type RunOptions, type RunResult } from "./process";

/** The veth pair's addresses: the test's end and the SSH host's. Used only inside the test. */
export const SSH_TEST_NET = { client: "10.231.0.1", host: "10.231.0.2", prefix: 30 } as const;

export interface SshHost {
  /** The network namespace's name (`ip netns`), unique per run. */
  readonly netns: string;
  /** The host's address on the veth pair. */
  readonly address: string;
  /** The login user. */
  readonly user: string;
  /** `ssh://<user>@<address>`, for the stack's `dockerHost`. */
  readonly dockerHost: string;
  /** The harness's temp dir (keys, configs, logs, the remote engine's state). */
  readonly dir: string;
  /** First directory of every SSH session's PATH on the host: put remote stand-ins here. */
  readonly remoteBin: string;
  /** Environment for client processes: PATH starts with the configured `ssh`. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** The client's known-hosts file. */
  readonly knownHosts: string;
  /** The host's engine as the program reaches it: the docker CLI over `ssh://`. */
  readonly engine: PrivateDockerd;
  /** Milliseconds from creating the namespace to the first answer over `docker -H ssh://`. */
  readonly startupMs: number;
  /** `ssh -o BatchMode=yes -p 22 -l <user> -- <address> <command>`, as the program's tools run it. */
  ssh(command: string, options?: RunOptions): Promise<RunResult>;
  /** Runs argv inside the host's network namespace (a client "on" the host). */
  inNamespace(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Stops sshd (the host is then down: connections are refused). */
  stopSshd(): Promise<void>;
  /** Starts sshd again, with the current host key, and waits until a login works. */
  startSshd(): Promise<void>;
  /** Gives sshd a new host key (as a rebuilt machine would); the known-hosts file keeps the old. */
  replaceHostKey(): Promise<void>;
  /** Puts the original host key back. */
  restoreHostKey(): Promise<void>;
  /**
   * Makes the host silent, as a powered-off machine is: the test's side sends its packets to a
   * link-layer address nobody has, so a connection times out instead of being refused.
   */
  partition(): Promise<void>;
  /** Undoes `partition`. */
  heal(): Promise<void>;
  /** Stops every process in the namespace, deletes the namespace, the veth pair and the dir. */
  stop(): Promise<void>;
}

const SSHD = "/usr/sbin/sshd";
const REMOTE_SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin";

/** Creates the namespace host and waits until its engine answers over SSH. */
export async function startSshHost(): Promise<SshHost> {
  const started = Date.now();
  const suffix = randomBytes(3).toString("hex");
  const netns = `cissh-${suffix}`;
  const vethClient = `vsc${suffix}`;
  const vethHost = `vsh${suffix}`;
  const user = "root";
  const address = SSH_TEST_NET.host;
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "sshh-")));
  const ip = which("ip");
  const errors: string[] = [];
  let sshd: SpawnedDaemon | undefined;
  let remote: PrivateDockerd | undefined;
  let agent: SpawnedDaemon | undefined;
  let madeRunSshd = false;
  let netnsMade = false;

  const inNamespace = (argv: readonly string[], o: RunOptions = {}): Promise<RunResult> =>
    run(ip, ["netns", "exec", netns, ...argv], { timeoutMs: 30_000, ...o });

  const stopSshdProcess = async (): Promise<void> => {
    if (!sshd) return;
    const current = sshd;
    sshd = undefined;
    if (current.exitStatus() === undefined) {
      current.child.kill("SIGTERM");
      if (!(await within(current.exited, 5_000))) {
        current.child.kill("SIGKILL");
        if (!(await within(current.exited, 5_000)))
          errors.push(`sshd pid ${current.child.pid} survived SIGKILL`);
      }
    }
    current.release();
  };

  /** SIGKILLs every process left in the namespace (SSH sessions, shims) and waits for them. */
  const killNamespacePids = async (): Promise<void> => {
    const list = async (): Promise<number[]> => {
      const r = await run(ip, ["netns", "pids", netns], { timeoutMs: 10_000 });
      return r.code === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
    };
    let pids = await list();
    for (let i = 0; i < 50 && pids.length > 0; i++) {
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
      await sleep(100);
      pids = await list();
    }
    if (pids.length > 0) errors.push(`processes ${pids.join(", ")} in ${netns} survived SIGKILL`);
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (remote) {
        await remote.stop().catch((e: Error) => errors.push(e.message));
      }
      await stopSshdProcess();
      if (agent) {
        agent.child.kill("SIGTERM");
        if (!(await within(agent.exited, 5_000))) agent.child.kill("SIGKILL");
        agent.release();
      }
      if (netnsMade) {
        await killNamespacePids();
        const del = await run(ip, ["netns", "delete", netns], { timeoutMs: 10_000 });
        if (del.code !== 0) errors.push(`ip netns delete ${netns}: ${del.stderr.trim()}`);
      }
      // Deleting the namespace deletes its end of the pair, and with it (a moment later) ours.
      const link = `/sys/class/net/${vethClient}`;
      for (let i = 0; i < 50 && existsSync(link); i++) await sleep(100);
      if (existsSync(link)) {
        const del = await run(ip, ["link", "delete", vethClient], { timeoutMs: 10_000 });
        if (del.code !== 0 && !/Cannot find device/.test(del.stderr))
          errors.push(`ip link delete ${vethClient}: ${del.stderr.trim()}`);
      }
      if (madeRunSshd) await fs.rm("/run/sshd", { recursive: true, force: true });
      await fs.rm(dir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`stopping the SSH host:\n- ${errors.join("\n- ")}`);
    })();
    return stopping;
  };

  try {
    const taken = await runOk(ip, [
      "-o",
      "addr",
      "show",
      "to",
      `${address}/${SSH_TEST_NET.prefix}`,
    ]);
    if (taken.trim() !== "")
      throw new Error(
        `${address}/${SSH_TEST_NET.prefix} is already on an interface of this machine (${taken.trim()}); the SSH host test needs that range to itself`,
      );
    await runOk(ip, ["netns", "add", netns]);
    netnsMade = true;
    await runOk(ip, ["link", "add", vethClient, "type", "veth", "peer", "name", vethHost]);
    await runOk(ip, ["link", "set", vethHost, "netns", netns]);
    await runOk(ip, [
      "addr",
      "add",
      `${SSH_TEST_NET.client}/${SSH_TEST_NET.prefix}`,
      "dev",
      vethClient,
    ]);
    await runOk(ip, ["link", "set", vethClient, "up"]);
    await runOk(ip, [
      "-n",
      netns,
      "addr",
      "add",
      `${address}/${SSH_TEST_NET.prefix}`,
      "dev",
      vethHost,
    ]);
    await runOk(ip, ["-n", netns, "link", "set", vethHost, "up"]);
    await runOk(ip, ["-n", netns, "link", "set", "lo", "up"]);

    remote = await startDockerd({ netnsPath: `/run/netns/${netns}` });

    // Keys: the host's (two, to play a rebuilt machine) and the client's.
    const keygen = (file: string, comment: string): Promise<string> =>
      runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
    const hostKey = path.join(dir, "host_key");
    await keygen(path.join(dir, "host_key_original"), "ci-ssh-test-host");
    await keygen(path.join(dir, "host_key_rebuilt"), "ci-ssh-test-host-rebuilt");
    await fs.copyFile(path.join(dir, "host_key_original"), hostKey);
    await fs.copyFile(path.join(dir, "host_key_original.pub"), `${hostKey}.pub`);
    await fs.chmod(hostKey, 0o600);
    const identity = path.join(dir, "id_ed25519");
    await keygen(identity, "ci-ssh-test-client");

    const remoteBin = path.join(dir, "remote-bin");
    await fs.mkdir(remoteBin);
    const authorizedKeys = path.join(dir, "authorized_keys");
    const clientPub = (await fs.readFile(`${identity}.pub`, "utf8")).trim();
    await fs.writeFile(
      authorizedKeys,
      `environment="DOCKER_HOST=${remote.host}",environment="CI_LOCK_DIR=${path.join(dir, "locks")}",environment="PATH=${remoteBin}:${REMOTE_SYSTEM_PATH}" ${clientPub}\n`,
    );
    const sshdConfig = path.join(dir, "sshd_config");
    await fs.writeFile(
      sshdConfig,
      [
        `ListenAddress ${address}`,
        "Port 22",
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        // The temp dir is not root-only all the way up.
        "StrictModes no",
        "PermitUserEnvironment DOCKER_HOST,CI_LOCK_DIR,PATH",
        // The docker CLI opens one SSH connection per API connection.
        "MaxStartups 64:30:128",
        "LogLevel VERBOSE",
        "",
      ].join("\n"),
    );
    const knownHosts = path.join(dir, "known_hosts");
    const hostPub = (await fs.readFile(`${hostKey}.pub`, "utf8")).trim().split(" ");
    await fs.writeFile(knownHosts, `${address} ${hostPub[0]} ${hostPub[1]}\n`);
    const clientConfig = path.join(dir, "ssh_config");
    await fs.writeFile(
      clientConfig,
      [
        "Host *",
        // The private key is only in the agent: this names which of its keys to offer.
        `  IdentityFile ${identity}.pub`,
        "  IdentitiesOnly yes",
        `  UserKnownHostsFile ${knownHosts}`,
        "  GlobalKnownHostsFile /dev/null",
        "  StrictHostKeyChecking yes",
        "  BatchMode yes",
        "  ConnectTimeout 5",
        "  LogLevel ERROR",
        "",
      ].join("\n"),
    );
    const clientBin = path.join(dir, "client-bin");
    await fs.mkdir(clientBin);
    const wrapper = path.join(clientBin, "ssh");
    await fs.writeFile(wrapper, `#!/bin/sh\nexec ${which("ssh")} -F ${clientConfig} "$@"\n`);
    chmodSync(wrapper, 0o755);
    // The key is used the way the README asks: loaded into an agent, then gone from disk, so
    // OpenSSH (and Pulumi's own SSH client, which reads only the agent) find it in SSH_AUTH_SOCK.
    const agentSocket = path.join(dir, "agent.sock");
    const startedAgent = spawnDaemon(which("ssh-agent"), ["-D", "-a", agentSocket], {
      logPath: path.join(dir, "agent.log"),
      lastResort: "SIGKILL",
    });
    agent = startedAgent;
    await waitFor(
      `ssh-agent at ${agentSocket}`,
      () => {
        if (startedAgent.exitStatus() !== undefined) throw new Error("ssh-agent exited");
        return Promise.resolve(existsSync(agentSocket) || undefined);
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    await runOk("ssh-add", ["-q", identity], { env: { SSH_AUTH_SOCK: agentSocket } });
    await fs.rm(identity);
    const clientEnv = {
      PATH: `${clientBin}:${process.env["PATH"] ?? ""}`,
      SSH_AUTH_SOCK: agentSocket,
    };

    if (!existsSync("/run/sshd")) {
      await fs.mkdir("/run/sshd", { mode: 0o755 });
      madeRunSshd = true;
    }
    const test = await run(SSHD, ["-t", "-f", sshdConfig]);
    if (test.code !== 0) throw new Error(`sshd -t refused the config:\n${test.stderr}`);

    const ssh = (command: string, o: RunOptions = {}): Promise<RunResult> =>
      run(wrapper, ["-o", "BatchMode=yes", "-p", "22", "-l", user, "--", address, command], {
        timeoutMs: 30_000,
        ...o,
        env: { ...clientEnv, ...o.env },
      });
    /** Starts sshd and waits until it listens (a login may still fail: that is the point). */
    const startSshd = async (): Promise<void> => {
      await stopSshdProcess();
      const daemon = spawnDaemon(
        which("nsenter"),
        [`--net=/run/netns/${netns}`, "--", SSHD, "-D", "-e", "-f", sshdConfig],
        { logPath: path.join(dir, "sshd.log"), lastResort: "SIGKILL" },
      );
      sshd = daemon;
      await waitFor(
        `sshd listening on ${address}:22`,
        async () => {
          const status = daemon.exitStatus();
          if (status !== undefined) throw new Error(`sshd exited (${status})`);
          const r = await inNamespace(["ss", "-Hltn", `src ${address}:22`], { timeoutMs: 5_000 });
          return r.stdout.includes(`${address}:22`) ? true : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
    };
    /** Installs one of the two host keys and restarts sshd if it runs. */
    const useHostKey = async (key: "original" | "rebuilt"): Promise<void> => {
      await fs.copyFile(path.join(dir, `host_key_${key}`), hostKey);
      await fs.copyFile(path.join(dir, `host_key_${key}.pub`), `${hostKey}.pub`);
      await fs.chmod(hostKey, 0o600);
      if (sshd) await startSshd();
    };

    await startSshd();
    await waitFor(
      `a login to ${user}@${address}`,
      async () => {
        const r = await ssh("true", { timeoutMs: 10_000 });
        if (r.code !== 0) throw new Error(r.stderr.trim());
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );

    const sshHost = `ssh://${user}@${address}`;
    const cli = dockerCli();
    const cliEnv = {
      ...clientEnv,
      DOCKER_HOST: sshHost,
      DOCKER_CONFIG: path.join(remote.dir, "cli"),
      DOCKER_BUILDKIT: "0",
      DOCKER_CLI_HINTS: "false",
      DOCKER_CONTEXT: undefined,
      DOCKER_TLS_VERIFY: undefined,
      DOCKER_CERT_PATH: undefined,
    };
    const docker = (a: readonly string[], o: RunOptions = {}): Promise<RunResult> =>
      run(cli, ["-H", sshHost, ...a], {
        ...o,
        timeoutMs: o.timeoutMs ?? 120_000,
        env: { ...cliEnv, ...o.env },
      });
    const dockerOk = async (a: readonly string[], o: RunOptions = {}): Promise<string> => {
      const r = await docker(a, o);
      if (r.code !== 0)
        throw new Error(
          `docker -H ${sshHost} ${a.join(" ")} exited ${r.code}:\n${(r.stderr || r.stdout).trim()}`,
        );
      return r.stdout.trim();
    };
    const privateEngine = remote;
    const engine: PrivateDockerd = {
      host: sshHost,
      dir: remote.dir,
      env: { ...clientEnv, DOCKER_HOST: sshHost, DOCKER_CONFIG: cliEnv.DOCKER_CONFIG },
      startupMs: remote.startupMs,
      netns: `/run/netns/${netns}`,
      docker,
      dockerOk,
      logTail: (lines) => privateEngine.logTail(lines),
      stop,
    };
    await waitFor(
      `docker -H ${sshHost} info`,
      async () => (await dockerOk(["info", "--format", "{{.ServerVersion}}"])) || undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    return {
      netns,
      address,
      user,
      dockerHost: sshHost,
      dir,
      remoteBin,
      clientEnv,
      knownHosts,
      engine,
      startupMs: Date.now() - started,
      ssh,
      inNamespace,
      stopSshd: stopSshdProcess,
      startSshd,
      replaceHostKey: () => useHostKey("rebuilt"),
      partition: async () => {
        await runOk(ip, [
          "neigh",
          "replace",
          address,
          "lladdr",
          "02:00:00:00:00:01",
          "dev",
          vethClient,
          "nud",
          "permanent",
        ]);
      },
      heal: async () => {
        await runOk(ip, ["neigh", "flush", "dev", vethClient]);
        await runOk(ip, ["neigh", "del", address, "dev", vethClient]).catch(() => "");
      },
      restoreHostKey: () => useHostKey("original"),
      stop,
    };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    let log = "";
    try {
      log = await fs.readFile(path.join(dir, "sshd.log"), "utf8");
    } catch {
      // no log yet
    }
    await stop().catch((s: Error) => (log += `\n${s.message}`));
    throw new Error(
      `the SSH host did not start: ${message}${log ? `\n--- sshd log ---\n${log}` : ""}`,
    );
  }
}
