/**
 * A private Docker engine for integration tests: Debian's `dockerd` with its own socket, data,
 * exec state and containerd under a fresh temp dir, so tests never see or touch the host's engine.
 *
 * It is started with flags that keep it off the host's shared state:
 * - `--config-file <tmp>/daemon.json` (empty): the host's /etc/docker/daemon.json is not read;
 * - `--bridge=none`: no `docker0`; containers must join a user-defined network (bridge networks,
 *   `--network host` and `--net=container:<name>` all work);
 * - `--iptables=false --ip-forward=false --ip-masq=false`: no host firewall rules or sysctls are
 *   changed. Containers on one bridge reach each other and published ports work (docker-proxy),
 *   but containers have no route to the outside world, which tests must not need anyway.
 *
 * This module does not import vitest, so scripts can use it too; `useDockerd` in
 * `use-dockerd.ts` wires it into a test file's hooks.
 */
import { accessSync, constants, promises as fs, readFileSync, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnDaemon, within } from "./daemon";
import { pathExists, run, sleep, waitFor, which, type RunOptions, type RunResult } from "./process";

export interface PrivateDockerd {
  /** The daemon's address, `unix://<tmp>/d.sock`, for `docker -H` or `DOCKER_HOST`. */
  readonly host: string;
  /** The daemon's temp dir; tests may create scratch files under `<dir>/work`. */
  readonly dir: string;
  /** Environment that points docker-speaking tools (CLI, skopeo, Pulumi's provider) at it. */
  readonly env: Readonly<Record<string, string>>;
  /** Milliseconds from spawning dockerd to its first answer. */
  readonly startupMs: number;
  /**
   * With `privateNetwork`, the daemon's network namespace (`/proc/<pid>/ns/net`), where its
   * `--network host` containers listen: enter it with `nsenter --net=<netns>`. Undefined when
   * the daemon shares the test process's network namespace.
   */
  readonly netns: string | undefined;
  /** Runs the docker CLI against this daemon. @default timeout 120 s */
  docker(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Like `docker`, but rejects unless the CLI exits 0; resolves to its trimmed stdout. */
  dockerOk(args: readonly string[], options?: RunOptions): Promise<string>;
  /** The last lines of the daemon's own log, for failure messages. */
  logTail(lines?: number): string;
  /** Removes every container and network, stops the daemon and deletes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartDockerdOptions {
  /** Give up when the daemon has not answered `docker info` within this long. @default 60_000 */
  readonly startTimeoutMs?: number;
  /** Extra dockerd flags, e.g. `["--storage-driver=vfs"]`. @default none */
  readonly extraArgs?: readonly string[];
  /**
   * Run dockerd in a new network namespace of its own (only `lo`, up), so `--network host`
   * containers bind there and never on the machine's loopback ports. @default false
   */
  readonly privateNetwork?: boolean;
  /**
   * Run dockerd in this existing named network namespace (`/run/netns/<name>`, made with
   * `ip netns add`), entered with `nsenter --net` only: the daemon keeps the machine's mount
   * namespace, so its mounts are unmounted as usual. @default the test process's namespace
   */
  readonly netnsPath?: string;
}

/** Unix socket paths are limited to 107 bytes; leave room for containerd's longer names. */
const MAX_SOCKET_PATH = 90;

/**
 * The docker CLI: `CI_DOCKER_CLI` if set, else Debian's `/usr/bin/docker` (the version that
 * matches Debian's dockerd), else `docker` from PATH.
 */
export function dockerCli(): string {
  const fromEnv = process.env.CI_DOCKER_CLI;
  if (fromEnv) return fromEnv;
  try {
    accessSync("/usr/bin/docker", constants.X_OK);
    return "/usr/bin/docker";
  } catch {
    return which("docker");
  }
}

/** Starts a private dockerd and waits until it answers; fails loudly (with its log) otherwise. */
export async function startDockerd(options: StartDockerdOptions = {}): Promise<PrivateDockerd> {
  const dockerdBin = which("dockerd");
  const cli = dockerCli();
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "dkd-")));
  const socket = path.join(dir, "d.sock");
  if (socket.length > MAX_SOCKET_PATH) {
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(
      `dockerd socket path ${socket} is ${socket.length} characters, over ${MAX_SOCKET_PATH}; set TMPDIR to a shorter directory`,
    );
  }
  await fs.writeFile(path.join(dir, "daemon.json"), "{}\n");
  await fs.mkdir(path.join(dir, "cli"));
  await fs.mkdir(path.join(dir, "work"));
  const host = `unix://${socket}`;
  const logPath = path.join(dir, "dockerd.log");
  const env = { DOCKER_HOST: host, DOCKER_CONFIG: path.join(dir, "cli") };
  const cliEnv = {
    ...env,
    DOCKER_BUILDKIT: "0",
    DOCKER_CLI_HINTS: "false",
    DOCKER_CONTEXT: undefined,
    DOCKER_TLS_VERIFY: undefined,
    DOCKER_CERT_PATH: undefined,
  };

  const args = [
    `--config-file=${path.join(dir, "daemon.json")}`,
    `--host=${host}`,
    `--data-root=${path.join(dir, "data")}`,
    `--exec-root=${path.join(dir, "x")}`,
    `--pidfile=${path.join(dir, "dockerd.pid")}`,
    "--bridge=none",
    "--iptables=false",
    "--ip-forward=false",
    "--ip-masq=false",
    "--shutdown-timeout=5",
    ...(options.extraArgs ?? []),
  ];
  const started = Date.now();
  // `unshare` and `sh` exec dockerd, so the spawned pid is dockerd's and its namespace lives and
  // dies with it.
  const daemon = options.netnsPath
    ? spawnDaemon(which("nsenter"), [`--net=${options.netnsPath}`, "--", dockerdBin, ...args], {
        logPath,
        lastResort: "SIGTERM",
      })
    : options.privateNetwork
      ? spawnDaemon(
          which("unshare"),
          [
            "--net",
            "--",
            "sh",
            "-c",
            `${which("ip")} link set lo up && exec "$0" "$@"`,
            dockerdBin,
            ...args,
          ],
          { logPath, lastResort: "SIGTERM" },
        )
      : spawnDaemon(dockerdBin, args, { logPath, lastResort: "SIGTERM" });
  const { child, exited } = daemon;
  const netns =
    options.netnsPath ?? (options.privateNetwork ? `/proc/${child.pid}/ns/net` : undefined);

  const logTail = (lines = 30): string => {
    try {
      return readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no dockerd log)";
    }
  };
  const docker = (a: readonly string[], o: RunOptions = {}): Promise<RunResult> =>
    run(cli, ["-H", host, ...a], {
      ...o,
      timeoutMs: o.timeoutMs ?? 120_000,
      env: { ...cliEnv, ...o.env },
    });
  const dockerOk = async (a: readonly string[], o: RunOptions = {}): Promise<string> => {
    const r = await docker(a, o);
    if (r.code !== 0) {
      throw new Error(`docker ${a.join(" ")} exited ${r.code}:\n${(r.stderr || r.stdout).trim()}`);
    }
    return r.stdout.trim();
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const errors: string[] = [];
      const bridges: string[] = [];
      if (daemon.exitStatus() === undefined) {
        // Remove containers first: dockerd's own shutdown waits up to 10 s per container.
        try {
          const ids = (await dockerOk(["ps", "-aq"], { timeoutMs: 15_000 })).split(/\s+/);
          if (ids[0]) await dockerOk(["rm", "-f", "-v", ...ids], { timeoutMs: 60_000 });
          const nets = (await dockerOk(["network", "ls", "-q", "--filter", "type=custom"])).split(
            /\s+/,
          );
          if (nets[0]) {
            const inspected = await dockerOk([
              "network",
              "inspect",
              "-f",
              '{{.Id}} {{index .Options "com.docker.network.bridge.name"}}',
              ...nets,
            ]);
            for (const line of inspected.split("\n")) {
              const [id, name] = line.trim().split(" ");
              if (id) bridges.push(name && name !== "<no value>" ? name : `br-${id.slice(0, 12)}`);
            }
            await dockerOk(["network", "rm", ...nets], { timeoutMs: 30_000 });
          }
        } catch (e) {
          errors.push(
            `cleaning the daemon's objects: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        child.kill("SIGTERM");
        if (!(await within(exited, 20_000))) {
          errors.push("dockerd ignored SIGTERM for 20 s; sent SIGKILL");
          child.kill("SIGKILL");
          if (!(await within(exited, 5_000)))
            errors.push(`dockerd pid ${child.pid} survived SIGKILL`);
        }
      }
      daemon.release();
      // containerd shims outlive a killed dockerd; every process naming our dir is ours.
      await killProcessesUnder(dir, errors);
      for (const bridge of bridges) {
        if (await pathExists(`/sys/class/net/${bridge}`)) {
          const r = await run("ip", ["link", "delete", bridge]).catch((e: Error) => ({
            code: 1,
            stderr: e.message,
          }));
          if (r.code !== 0)
            errors.push(`could not delete leftover bridge ${bridge}: ${r.stderr.trim()}`);
        }
      }
      await unmountUnder(dir, errors);
      const left = mountsUnder(dir);
      if (left.length > 0) {
        errors.push(`not deleting ${dir}: still mounted: ${left.join(", ")}`);
      } else {
        await fs.rm(dir, { recursive: true, force: true });
      }
      if (errors.length > 0)
        throw new Error(`stopping the private dockerd:\n- ${errors.join("\n- ")}`);
    })();
    return stopping;
  };

  const startupTimeout = options.startTimeoutMs ?? 60_000;
  let startupMs: number;
  try {
    await waitFor(
      `dockerd at ${host}`,
      async () => {
        const status = daemon.exitStatus();
        if (status !== undefined) throw new Error(`dockerd exited (${status})`);
        const r = await docker(["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 5_000 });
        return r.code === 0 ? r.stdout : undefined;
      },
      { timeoutMs: startupTimeout, intervalMs: 100 },
    );
    startupMs = Date.now() - started;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const tail = logTail();
    await stop().catch(() => undefined);
    throw new Error(`private dockerd did not start: ${message}\n--- dockerd log ---\n${tail}`);
  }
  return { host, dir, env, startupMs, netns, docker, dockerOk, logTail, stop };
}

/** SIGKILLs every process whose command line names a path inside `dir`, and waits for them. */
async function killProcessesUnder(dir: string, errors: string[]): Promise<void> {
  const needle = `${dir}/`;
  const find = (): number[] => {
    const pids: number[] = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        // Zombies (state Z) are already dead; their parent reaps them.
        if (cmdline.includes(needle) && !/\) Z /.test(stat)) pids.push(Number(entry));
      } catch {
        // the process exited while we looked
      }
    }
    return pids;
  };
  let pids = find();
  if (pids.length === 0) return;
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 50 && pids.length > 0; i++) {
    await sleep(100);
    pids = find();
  }
  if (pids.length > 0) errors.push(`processes ${pids.join(", ")} survived SIGKILL`);
}

/** Mount points inside `dir` (overlay layers, netns files, shm), deepest first. */
function mountsUnder(dir: string): string[] {
  const prefix = `${dir}/`;
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .map((p) =>
      p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))),
    )
    .filter((p) => p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

async function unmountUnder(dir: string, errors: string[]): Promise<void> {
  for (const mountPoint of mountsUnder(dir)) {
    const r = await run("umount", [mountPoint], { timeoutMs: 10_000 });
    if (r.code !== 0) {
      const lazy = await run("umount", ["-l", mountPoint], { timeoutMs: 10_000 });
      if (lazy.code !== 0) errors.push(`umount ${mountPoint}: ${lazy.stderr.trim()}`);
    }
  }
}
