/**
 * CPU, PIDs and root-filesystem limits of the platform's containers, as pure functions (no Pulumi
 * import) so they are tested directly.
 *
 * The contract with the docker provider (terraform-provider-docker, which `@pulumi/docker` 5.2
 * bridges; it has `memory_reservation`, so it is v3.7.0 or later), read in
 * `internal/provider/resource_docker_container.go` (schema), `resource_docker_container_funcs.go`
 * (create, read, update) and `helpers.go` at v3.7.0, and measured on Docker 20.10:
 * - `cpus` (string, ForceNew) is sent as `HostConfig.NanoCPUs = opts.ParseCPUs(cpus)` (docker/cli:
 *   the decimal times 1e9, refused unless whole) and read back as
 *   `nanoInt64ToDecimalString(NanoCPUs)`: nine decimals, then either one decimal when the text has
 *   exactly nine zeros (`1.0`, `0.5`, but `0.05` rounds to `0.1`) or the trailing zeros trimmed
 *   (`0.25`, `1.5`, but `10` gives `10.`). A `cpus` is declared in exactly its read-back form, or
 *   every preview shows a diff, and since it is ForceNew, a replacement.
 * - `cpu_period`/`cpu_quota` are not read back at all, and `cpu_shares` is only a weight: `cpus`
 *   is the limit.
 * - `read_only` (bool, ForceNew) is `HostConfig.ReadonlyRootfs`, read back as it is.
 * - `tmpfs` (map path -> options) is `HostConfig.Tmpfs`, which Docker stores and returns verbatim.
 * - There is no PIDs input: the provider never sends or reads `HostConfig.PidsLimit` (its only
 *   mention is a TODO in the service resource). The limit is applied with `docker update
 *   --pids-limit` after the container starts; the provider's own updates (restart, memory,
 *   cpu_shares) send no `PidsLimit`, which Docker leaves unchanged (measured: it survives
 *   `docker update --memory` and a restart), and its read-back never sees it, so no diff.
 * - Uploads are copied to `/` of the created container before it starts, and Docker refuses a
 *   copy into a read-only rootfs ("container rootfs is marked read-only"): a container with
 *   uploads keeps a writable rootfs until its files come another way.
 */
import { shellWord } from "./shell";

/** A container's limits, from its catalog entry or the platform's constants. */
export interface ContainerLimits {
  /** Memory limit in MB (the docker provider's unit), swap off. */
  readonly memoryMb: number;
  /** CPU limit, a decimal number of CPUs written as the provider reads it back: `0.5`, `1.0`. */
  readonly cpus: string;
  /** Most processes and threads the container may have at once. */
  readonly pidsLimit: number;
}

/** The label that carries a container's PIDs limit, which `pidsLimitCommand` applies. */
export const PIDS_LIMIT_LABEL = "ci-platform.pids-limit";

/** No container of the platform needs more than this many CPUs; a bigger value is a typo. */
export const MAX_CONTAINER_CPUS = 64;

/** A PIDs limit above this is a typo (Linux's default pid_max is 4194304 on 64-bit). */
export const MAX_PIDS_LIMIT = 32_768;

/**
 * Docker's `NanoCPUs` for a `--cpus` value, as docker/cli's `opts.ParseCPUs` computes it (the
 * decimal times 1e9, which must be whole); undefined when it is not a plain decimal or too precise.
 */
export function nanoCpus(cpus: string): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(cpus);
  if (!m) return undefined;
  const fraction = (m[2] ?? "").replace(/0+$/, "");
  if (fraction.length > 9) return undefined;
  return Number(m[1]) * 1e9 + Number(fraction.padEnd(9, "0"));
}

/**
 * What the provider reads back for `NanoCPUs`: a port of `nanoInt64ToDecimalString`
 * (terraform-provider-docker `internal/provider/helpers.go`), quirks included.
 */
export function readBackCpus(nano: number): string {
  if (nano === 0) return "0";
  const whole = Math.floor(nano / 1e9);
  const text = `${whole}.${String(nano % 1e9).padStart(9, "0")}`; // big.Rat FloatString(9)
  if ((text.match(/0/g) ?? []).length === 9) {
    // FloatString(1): rounded to the nearest tenth, halves away from zero.
    const tenths = Math.floor((nano + 5e7) / 1e8);
    return `${Math.floor(tenths / 10)}.${tenths % 10}`;
  }
  return text.replace(/0+$/, "");
}

/**
 * The container inputs of `limits` beyond memory: `cpus` (checked to read back as written) and
 * the PIDs limit label. Throws, naming the value and the fix, when either would not hold.
 */
export function cpuAndPidsLimits(limits: ContainerLimits): {
  cpus: string;
  pidsLabel: { label: string; value: string };
} {
  const nano = nanoCpus(limits.cpus);
  if (nano === undefined || nano <= 0 || nano > MAX_CONTAINER_CPUS * 1e9) {
    throw new Error(
      `cpus ${JSON.stringify(limits.cpus)} is not a decimal number of CPUs above 0 and at most ${MAX_CONTAINER_CPUS}`,
    );
  }
  const readBack = readBackCpus(nano);
  if (readBack !== limits.cpus) {
    const fix =
      nanoCpus(readBack) === nano
        ? `write ${JSON.stringify(readBack)}`
        : "pick a value that reads back as written, such as 0.25, 0.5 or 1.0";
    throw new Error(
      `cpus ${JSON.stringify(limits.cpus)} reads back from the docker provider as ${JSON.stringify(readBack)}, a diff (and a replacement) on every preview; ${fix}`,
    );
  }
  if (!Number.isInteger(limits.pidsLimit) || limits.pidsLimit < 1) {
    throw new Error(`pidsLimit ${limits.pidsLimit} is not a whole number of at least 1`);
  }
  if (limits.pidsLimit > MAX_PIDS_LIMIT) {
    throw new Error(
      `pidsLimit ${limits.pidsLimit} is over ${MAX_PIDS_LIMIT}; a container that needs more has no limit worth the name`,
    );
  }
  return {
    cpus: limits.cpus,
    pidsLabel: { label: PIDS_LIMIT_LABEL, value: String(limits.pidsLimit) },
  };
}

/**
 * The command that applies a container's PIDs limit (the provider has no input for it), then
 * checks Docker holds it. Run after every creation of the container.
 */
export function pidsLimitCommand(container: string, pidsLimit: number): string {
  const name = shellWord(container);
  return [
    `docker update --pids-limit ${pidsLimit} ${name} >/dev/null`,
    `test "$(docker inspect --format '{{.HostConfig.PidsLimit}}' ${name})" = ${pidsLimit}`,
  ].join(" && ");
}

/**
 * A read-only root filesystem with a tmpfs for each path the image writes outside its volumes,
 * keys sorted so the same paths give the same inputs. Options are Docker's `--tmpfs` options
 * (`size=64m`); Docker adds `noexec,nosuid,nodev`.
 */
export function readOnlyRootfs(tmpfs: Readonly<Record<string, string>> = {}): {
  readOnly: true;
  tmpfs?: Record<string, string>;
} {
  const paths = Object.keys(tmpfs).sort();
  for (const p of paths) {
    if (!p.startsWith("/") || p === "/") {
      throw new Error(`tmpfs path ${JSON.stringify(p)} is not an absolute path below /`);
    }
  }
  if (paths.length === 0) return { readOnly: true };
  return { readOnly: true, tmpfs: Object.fromEntries(paths.map((p) => [p, tmpfs[p]!])) };
}

/** Limits of the platform's own containers, each with why it is enough. */
export const PLATFORM_LIMITS = {
  /** One process, which forks a child per TCP query, at most 20 (dnsmasq's MAX_PROCS). */
  dnsmasq: { memoryMb: 64, cpus: "0.25", pidsLimit: 64 },
  /** Go: a thread per CPU plus one per blocking call (layer writes to disk), bounded well below 256. */
  registry: { memoryMb: 512, cpus: "1.0", pidsLimit: 256 },
  /** nginx: the entrypoint's shell, the master and its 2 workers (worker_processes 2). */
  registryNginx: { memoryMb: 128, cpus: "0.5", pidsLimit: 32 },
  /** nginx: the master, 1 worker, and the `docker exec` shells that install servers and switch slots. */
  releaseProxy: { memoryMb: 64, cpus: "0.5", pidsLimit: 32 },
} as const satisfies Readonly<Record<string, ContainerLimits>>;
