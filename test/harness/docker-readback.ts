/**
 * What the docker provider reads back from `docker inspect` for a container, and where that
 * differs from what the program declared: the diff `pulumi preview --refresh` would show.
 *
 * The contract is the provider's own Read (terraform-provider-docker,
 * `internal/provider/resource_docker_container_funcs.go`, `resourceDockerContainerRead`, and the
 * schema in `resource_docker_container.go`), which the docker provider for Pulumi bridges:
 * - `memory` is `HostConfig.Memory / 1024 / 1024` (MB); `memory_swap` likewise when positive, else
 *   the raw value; both are plain Optional, so an unset one that reads back non-zero is a diff.
 * - `capabilities` are `HostConfig.CapAdd` / `CapDrop` as Docker stores them (Docker 20.10 stores
 *   added capabilities with the `CAP_` prefix, `ALL` as it is), compared as sets; ForceNew, so a
 *   difference replaces the container.
 * - `restart` defaults to `no`; `privileged` to false; `dns` and `dns_search` are sets.
 * - `healthcheck` durations are Go durations (`time.Duration.String()`: `30s`, `1m0s`), so a
 *   declared `60s` reads back as `1m0s`.
 * - `log_opts`, when declared, read back as the engine's `LogConfig.Config`.
 * - `cpus` is `nanoInt64ToDecimalString(HostConfig.NanoCPUs)` when positive, else left unset
 *   (`readBackCpus` in components/ci-host/container-limits.ts ports it); ForceNew.
 * - `read_only` is `HostConfig.ReadonlyRootfs` (ForceNew); `tmpfs` is `HostConfig.Tmpfs` verbatim.
 * - The PIDs limit is not read back at all (the provider has no such field): the harness checks
 *   `HostConfig.PidsLimit` against the `ci-platform.pids-limit` label instead.
 * - `hostname`, `entrypoint`, `command` and `security_opts` are Computed: compared only when
 *   declared. Environment and labels are not read back at all.
 * - `network_mode` is compared only when declared: with `networks_advanced` the provider creates
 *   the container on `bridge` and reconnects it, which this harness does differently.
 *
 * One difference is the harness's own: the docker CLI takes a health check only in the shell
 * form and `--entrypoint` only one word, so for a container the harness created (`viaCli`) a
 * declared `CMD` form is compared as the `CMD-SHELL` form it was given, and entrypoint words after
 * the first as the head of the command; the provider sends both as declared.
 */
import { readBackCpus } from "../../components/docker/container-limits";
import { healthCommand, type Inputs } from "./docker-translate";

/** The fields of `docker inspect <container>` the provider reads back. */
export interface ContainerInspect {
  readonly Name: string;
  readonly Config: {
    readonly Hostname?: string;
    readonly Entrypoint?: readonly string[] | null;
    readonly Cmd?: readonly string[] | null;
    readonly Healthcheck?: {
      readonly Test?: readonly string[];
      readonly Interval?: number;
      readonly Timeout?: number;
      readonly StartPeriod?: number;
      readonly Retries?: number;
    } | null;
  };
  readonly HostConfig: {
    readonly Memory?: number;
    readonly MemorySwap?: number;
    readonly NanoCpus?: number;
    readonly PidsLimit?: number | null;
    readonly ReadonlyRootfs?: boolean;
    readonly Tmpfs?: Record<string, string> | null;
    readonly CapAdd?: readonly string[] | null;
    readonly CapDrop?: readonly string[] | null;
    readonly RestartPolicy?: { readonly Name?: string };
    readonly Privileged?: boolean;
    readonly Dns?: readonly string[] | null;
    readonly DnsSearch?: readonly string[] | null;
    readonly SecurityOpt?: readonly string[] | null;
    readonly LogConfig?: { readonly Type?: string; readonly Config?: Record<string, string> };
    readonly NetworkMode?: string;
  };
}

const MIB = 1024 * 1024;

/** Go's `time.Duration.String()` for a whole number of nanoseconds (what the provider stores). */
export function goDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return "0s";
  let seconds = nanoseconds / 1e9;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const s = `${Number(seconds.toFixed(9))}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}

/** What the provider's Read puts in state, under the Pulumi input names. */
export function readBackContainer(inspect: ContainerInspect): Record<string, unknown> {
  const host = inspect.HostConfig;
  const swap = host.MemorySwap ?? 0;
  const state: Record<string, unknown> = {
    name: inspect.Name.replace(/^\/+/, ""),
    hostname: inspect.Config.Hostname ?? "",
    entrypoints: [...(inspect.Config.Entrypoint ?? [])],
    command: [...(inspect.Config.Cmd ?? [])],
    memory: Math.trunc((host.Memory ?? 0) / MIB),
    memorySwap: swap > 0 ? Math.trunc(swap / MIB) : swap,
    readOnly: host.ReadonlyRootfs ?? false,
    tmpfs: { ...(host.Tmpfs ?? {}) },
    restart: host.RestartPolicy?.Name ?? "",
    privileged: host.Privileged ?? false,
    dns: [...(host.Dns ?? [])],
    dnsSearches: [...(host.DnsSearch ?? [])],
    securityOpts: [...(host.SecurityOpt ?? [])],
    logDriver: host.LogConfig?.Type ?? "",
    logOpts: { ...(host.LogConfig?.Config ?? {}) },
    networkMode: host.NetworkMode ?? "",
  };
  if ((host.NanoCpus ?? 0) > 0) state["cpus"] = readBackCpus(host.NanoCpus!);
  if ((host.CapAdd?.length ?? 0) > 0 || (host.CapDrop?.length ?? 0) > 0) {
    state["capabilities"] = { adds: [...(host.CapAdd ?? [])], drops: [...(host.CapDrop ?? [])] };
  }
  const health = inspect.Config.Healthcheck;
  if (health) {
    state["healthcheck"] = {
      tests: [...(health.Test ?? [])],
      interval: goDuration(health.Interval ?? 0),
      timeout: goDuration(health.Timeout ?? 0),
      startPeriod: goDuration(health.StartPeriod ?? 0),
      retries: health.Retries ?? 0,
    };
  }
  return state;
}

const sortedSet = (value: unknown): string[] =>
  Array.isArray(value) ? [...new Set(value.map(String))].sort() : [];
const canonical = (value: unknown): string => JSON.stringify(value);

/** Sorted map entries, so `{a, b}` and `{b, a}` compare equal as the provider's maps do. */
const sortedMap = (value: unknown): [string, string][] =>
  Object.entries((value ?? {}) as Record<string, unknown>)
    .map(([k, v]): [string, string] => [k, String(v)])
    .sort(([a], [b]) => a.localeCompare(b));

/**
 * The fields where the provider's read-back differs from the declared inputs, one line each
 * (`memorySwap: declared 256, reads back 512`); empty when a refresh would show no change.
 */
export function containerDrift(
  declared: Inputs,
  inspect: ContainerInspect,
  options: { readonly viaCli?: boolean } = {},
): string[] {
  const state = readBackContainer(inspect);
  const drift: string[] = [];
  const compare = (field: string, want: unknown, got: unknown): void => {
    if (canonical(want) !== canonical(got)) {
      drift.push(`${field}: declared ${canonical(want)}, reads back ${canonical(got)}`);
    }
  };
  compare("memory", declared["memory"] ?? 0, state["memory"]);
  compare("memorySwap", declared["memorySwap"] ?? 0, state["memorySwap"]);
  compare("cpus", declared["cpus"], state["cpus"]);
  compare("readOnly", declared["readOnly"] ?? false, state["readOnly"]);
  compare("tmpfs", sortedMap(declared["tmpfs"]), sortedMap(state["tmpfs"]));
  compare("restart", declared["restart"] ?? "no", state["restart"]);
  compare("privileged", declared["privileged"] ?? false, state["privileged"]);
  compare("dns", sortedSet(declared["dns"]), sortedSet(state["dns"]));
  compare("dnsSearches", sortedSet(declared["dnsSearches"]), sortedSet(state["dnsSearches"]));
  const caps = (c: unknown) => {
    if (c === undefined) return undefined;
    const { adds, drops } = c as { adds?: unknown; drops?: unknown };
    return { adds: sortedSet(adds), drops: sortedSet(drops) };
  };
  compare("capabilities", caps(declared["capabilities"]), caps(state["capabilities"]));
  if (declared["logOpts"] !== undefined) {
    compare("logOpts", sortedMap(declared["logOpts"]), sortedMap(state["logOpts"]));
  }
  for (const field of ["hostname", "logDriver", "networkMode"] as const) {
    if (declared[field] !== undefined) compare(field, declared[field], state[field]);
  }
  const entrypoints = declared["entrypoints"] as string[] | undefined;
  if (options.viaCli && entrypoints !== undefined && entrypoints.length > 1) {
    // `docker create --entrypoint` takes one word: the harness passed the rest as the command.
    compare("entrypoints", entrypoints.slice(0, 1), state["entrypoints"]);
    compare(
      "command",
      [...entrypoints.slice(1), ...((declared["command"] as string[] | undefined) ?? [])],
      state["command"],
    );
  } else {
    for (const field of ["entrypoints", "command"] as const) {
      if (declared[field] !== undefined) compare(field, declared[field], state[field]);
    }
  }
  if (declared["securityOpts"] !== undefined) {
    compare("securityOpts", sortedSet(declared["securityOpts"]), sortedSet(state["securityOpts"]));
  }
  const health = declared["healthcheck"] as Inputs | undefined;
  if (health !== undefined) {
    compare(
      "healthcheck",
      {
        tests:
          options.viaCli && Array.isArray(health["tests"]) && health["tests"][0] === "CMD"
            ? ["CMD-SHELL", healthCommand(health["tests"] as string[])]
            : (health["tests"] ?? []),
        interval: health["interval"] ?? "0s",
        timeout: health["timeout"] ?? "0s",
        startPeriod: health["startPeriod"] ?? "0s",
        retries: health["retries"] ?? 0,
      },
      state["healthcheck"],
    );
  }
  return drift;
}
