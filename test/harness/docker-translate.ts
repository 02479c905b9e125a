/**
 * Translates what the program declares for the docker provider (inputs of `docker:index/*`
 * resources, as the mocks capture them) into docker CLI calls, so a test engine runs exactly what
 * the program registers. A field the translator does not know fails loudly: nothing is dropped.
 */

export type Inputs = Readonly<Record<string, unknown>>;

const CONTAINER_FIELDS = new Set([
  "name",
  "image",
  "hostname",
  "networkMode",
  "networksAdvanced",
  "dns",
  "dnsSearches",
  "restart",
  "memory",
  "memorySwap",
  "cpus",
  "readOnly",
  "tmpfs",
  "logDriver",
  "logOpts",
  "privileged",
  "securityOpts",
  "capabilities",
  "entrypoints",
  "command",
  "envs",
  "labels",
  "volumes",
  "ports",
  "healthcheck",
  "uploads",
  // The provider's own behaviour, not the container's: the harness checks it is running instead.
  "mustRun",
  "wait",
]);

const NETWORK_FIELDS = new Set(["name", "driver", "ipamConfigs", "options", "internal", "labels"]);
const VOLUME_FIELDS = new Set(["name", "labels", "driver"]);

function unknownFields(kind: string, inputs: Inputs, known: ReadonlySet<string>): void {
  const unknown = Object.keys(inputs).filter((k) => !known.has(k) && inputs[k] !== undefined);
  if (unknown.length > 0) {
    throw new Error(
      `the harness cannot translate ${kind} input(s) ${unknown.join(", ")}; teach test/harness/docker-translate.ts`,
    );
  }
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
const text = (value: unknown): string =>
  typeof value === "string" ? value : JSON.stringify(value);

/** A health check's `tests` as `--health-cmd`: the CLI only takes the shell form. */
export function healthCommand(tests: readonly string[]): string {
  const [form, ...rest] = tests;
  if (form === "CMD-SHELL") return rest.join(" ");
  if (form === "CMD")
    return rest
      .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
      .join(" ");
  throw new Error(`unsupported health check form ${String(form)}`);
}

/** `docker network create` arguments for a `docker:index/network:Network`. */
export function networkCreateArgs(inputs: Inputs): string[] {
  unknownFields("network", inputs, NETWORK_FIELDS);
  const args = ["network", "create", "--driver", text(inputs["driver"] ?? "bridge")];
  for (const ipam of list<Inputs>(inputs["ipamConfigs"])) {
    if (ipam["subnet"] !== undefined) args.push("--subnet", text(ipam["subnet"]));
    if (ipam["gateway"] !== undefined) args.push("--gateway", text(ipam["gateway"]));
    if (ipam["ipRange"] !== undefined) args.push("--ip-range", text(ipam["ipRange"]));
  }
  const options = (inputs["options"] ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(options).sort()) args.push("--opt", `${key}=${text(options[key])}`);
  if (inputs["internal"] === true) args.push("--internal");
  for (const label of list<Inputs>(inputs["labels"]))
    args.push("--label", `${text(label["label"])}=${text(label["value"])}`);
  args.push(text(inputs["name"]));
  return args;
}

/** `docker volume create` arguments for a `docker:index/volume:Volume`. */
export function volumeCreateArgs(inputs: Inputs): string[] {
  unknownFields("volume", inputs, VOLUME_FIELDS);
  const args = ["volume", "create"];
  if (inputs["driver"] !== undefined) args.push("--driver", text(inputs["driver"]));
  for (const label of list<Inputs>(inputs["labels"]))
    args.push("--label", `${text(label["label"])}=${text(label["value"])}`);
  args.push(text(inputs["name"]));
  return args;
}

export interface ContainerPlan {
  /** `docker create` arguments, attached to the first network. */
  readonly create: string[];
  /** Further networks: `docker network connect` arguments each. */
  readonly connect: string[][];
  /** Files to place before the first start. */
  readonly uploads: { readonly file: string; readonly content: string }[];
}

/** The docker CLI calls that create a `docker:index/container:Container` as declared. */
export function containerPlan(inputs: Inputs): ContainerPlan {
  unknownFields("container", inputs, CONTAINER_FIELDS);
  const name = text(inputs["name"]);
  const args = ["create", "--name", name];
  if (inputs["hostname"] !== undefined) args.push("--hostname", text(inputs["hostname"]));
  if (inputs["restart"] !== undefined) args.push("--restart", text(inputs["restart"]));
  // The provider's units: `memory` and a positive `memorySwap` are MB (it multiplies by 1024 * 1024);
  // a `memorySwap` of -1 (unlimited) passes through as it is.
  if (inputs["memory"] !== undefined) args.push("--memory", `${Number(inputs["memory"])}m`);
  if (inputs["memorySwap"] !== undefined) {
    const swap = Number(inputs["memorySwap"]);
    args.push("--memory-swap", swap > 0 ? `${swap}m` : String(swap));
  }
  // `cpus` is the provider's string, sent as NanoCPUs exactly as `docker --cpus` parses it.
  if (inputs["cpus"] !== undefined) args.push("--cpus", text(inputs["cpus"]));
  if (inputs["readOnly"] === true) args.push("--read-only");
  // `tmpfs` is HostConfig.Tmpfs, path -> options; the CLI's `--tmpfs path:options` builds the same map.
  const tmpfs = (inputs["tmpfs"] ?? {}) as Record<string, unknown>;
  for (const path of Object.keys(tmpfs).sort()) {
    const options = text(tmpfs[path]);
    args.push("--tmpfs", options === "" ? path : `${path}:${options}`);
  }
  if (inputs["logDriver"] !== undefined) args.push("--log-driver", text(inputs["logDriver"]));
  const logOpts = (inputs["logOpts"] ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(logOpts).sort())
    args.push("--log-opt", `${key}=${text(logOpts[key])}`);
  if (inputs["privileged"] === true) args.push("--privileged");
  for (const opt of list<string>(inputs["securityOpts"])) args.push("--security-opt", opt);
  const caps = (inputs["capabilities"] ?? {}) as { drops?: string[]; adds?: string[] };
  for (const cap of caps.drops ?? []) args.push("--cap-drop", cap);
  for (const cap of caps.adds ?? []) args.push("--cap-add", cap);
  for (const server of list<string>(inputs["dns"])) args.push("--dns", server);
  for (const domain of list<string>(inputs["dnsSearches"])) args.push("--dns-search", domain);
  for (const env of list<string>(inputs["envs"])) args.push("--env", env);
  for (const label of list<Inputs>(inputs["labels"]))
    args.push("--label", `${text(label["label"])}=${text(label["value"])}`);
  for (const volume of list<Inputs>(inputs["volumes"])) {
    if (volume["volumeName"] === undefined)
      throw new Error(`container ${name}: only named volumes are translated`);
    args.push("--volume", `${text(volume["volumeName"])}:${text(volume["containerPath"])}`);
  }
  for (const port of list<Inputs>(inputs["ports"])) {
    const ip = port["ip"] === undefined ? "" : `${text(port["ip"])}:`;
    args.push(
      "--publish",
      `${ip}${text(port["external"])}:${text(port["internal"])}/${text(port["protocol"] ?? "tcp")}`,
    );
  }
  const health = inputs["healthcheck"] as Inputs | undefined;
  if (health) {
    args.push("--health-cmd", healthCommand(list<string>(health["tests"])));
    for (const [field, flag] of [
      ["interval", "--health-interval"],
      ["timeout", "--health-timeout"],
      ["startPeriod", "--health-start-period"],
    ] as const) {
      if (health[field] !== undefined) args.push(flag, text(health[field]));
    }
    if (health["retries"] !== undefined) args.push("--health-retries", text(health["retries"]));
  }
  const networks = list<Inputs>(inputs["networksAdvanced"]);
  const connect: string[][] = [];
  if (inputs["networkMode"] !== undefined) {
    if (networks.length > 0)
      throw new Error(`container ${name}: networkMode and networksAdvanced together`);
    args.push("--network", text(inputs["networkMode"]));
  }
  networks.forEach((network, i) => {
    const flags: string[] = [];
    if (network["ipv4Address"] !== undefined) flags.push("--ip", text(network["ipv4Address"]));
    for (const alias of list<string>(network["aliases"])) flags.push("--network-alias", alias);
    if (i === 0) args.push("--network", text(network["name"]), ...flags);
    else connect.push(["network", "connect", ...flags, text(network["name"]), name]);
  });
  const entrypoints = list<string>(inputs["entrypoints"]);
  if (entrypoints.length > 0) args.push("--entrypoint", entrypoints[0]!);
  args.push(text(inputs["image"]), ...entrypoints.slice(1), ...list<string>(inputs["command"]));
  const uploads = list<Inputs>(inputs["uploads"]).map((u) => {
    if (typeof u["content"] !== "string")
      throw new Error(`container ${name}: upload ${text(u["file"])} has no plain content`);
    return { file: text(u["file"]), content: u["content"] };
  });
  return { create: args, connect, uploads };
}
