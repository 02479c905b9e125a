/**
 * `ci-platform registry prune --stack staging [--keep N] [--dry-run] [--url https://host:port]`
 * (`npm run registry:prune --`): applies retention to the stack's private registry. Credentials
 * come from REGISTRY_USER and REGISTRY_PASSWORD, a user with the delete role in `registry.users`
 * (nginx answers any other user's DELETE with 403); the registry's containers are reached through
 * the Docker engine of the CI host that runs them (DOCKER_HOST is set from the stack config).
 */
import { resolve } from "node:path";
import { containerName } from "../../components/docker/docker-render";
import {
  NGINX_CONTAINER_LAYOUT,
  REGISTRY_CONFIG_PATH,
  REGISTRY_CONTAINER_LAYOUT,
} from "../../components/registry/registry-render";
import { run } from "../../lib/process";
import { deployedVersions, validatedStackConfig } from "../../lib/stack-config";
import { pruneRegistry, type RegistryMaintenance } from "./prune";
import { RegistryApi } from "./registry-api";
import {
  flagValue,
  parseCommandLine,
  stringValue,
  UsageError,
  type Command,
  type OptionSpecs,
} from "../cli/command";

export const PRUNE_OPTIONS: OptionSpecs = {
  stack: { type: "string", value: "stack", description: "the stack whose registry to prune" },
  keep: {
    type: "string",
    value: "N",
    description: "tags kept per repository (default: the stack's registry.keepTags)",
  },
  "dry-run": { type: "boolean", description: "print what would be deleted, delete nothing" },
  url: {
    type: "string",
    value: "https://host:port",
    description: "the registry's address (default: the stack's registry address)",
  },
};

const USAGE =
  "usage: npm run registry:prune -- --stack <stack> [--keep N] [--dry-run] [--url https://host:port]";

/** Maintenance through `docker exec` into the registry's containers. */
export function containerMaintenance(stack: string, dockerHost: string): RegistryMaintenance {
  const docker = async (...args: string[]): Promise<string> => {
    const result = await run("docker", args, {
      env: { DOCKER_HOST: dockerHost },
      timeoutMs: 30 * 60_000,
    });
    if (result.code !== 0)
      throw new Error(`docker ${args.slice(0, 3).join(" ")} failed: ${result.stderr.trim()}`);
    return result.stdout;
  };
  const nginx = containerName(stack, "registry-nginx");
  const registry = containerName(stack, "registry");
  const flag = NGINX_CONTAINER_LAYOUT.maintenanceFlag;
  return {
    setReadOnly: async (on) => {
      await docker(
        "exec",
        nginx,
        "sh",
        "-c",
        on ? `mkdir -p "$(dirname ${flag})" && touch ${flag}` : `rm -f ${flag}`,
      );
    },
    uploadsInFlight: async () => {
      // An open upload session has a `startedat` file (a cancelled one keeps only hash state);
      // sessions older than an hour are abandoned, and the registry purges them itself.
      const out = await docker(
        "exec",
        registry,
        "sh",
        "-c",
        `find ${REGISTRY_CONTAINER_LAYOUT.rootDirectory} -path '*/_uploads/*/startedat' -mmin -60 | wc -l`,
      );
      return Number(out.trim());
    },
    garbageCollect: () =>
      docker("exec", registry, "registry", "garbage-collect", REGISTRY_CONFIG_PATH),
  };
}

async function prune(argv: readonly string[], write: (text: string) => void): Promise<void> {
  const line = parseCommandLine(argv, PRUNE_OPTIONS, USAGE);
  const value = (flag: string): string | undefined => stringValue(line, flag.slice(2));
  const dryRun = flagValue(line, "dry-run");
  const stack = value("--stack");
  if (!stack) throw new UsageError(USAGE);
  const root = resolve(__dirname, "..", "..");
  const config = validatedStackConfig(root, stack);
  const registry = config.registry;
  if (!registry)
    throw new Error(`stack ${stack} runs no registry (no registry block in Pulumi.${stack}.yaml)`);
  const host = config.ciHosts.find((h) => h.name === registry.host)!;
  const user = process.env["REGISTRY_USER"];
  const password = process.env["REGISTRY_PASSWORD"];
  if (!user || !password)
    throw new Error(
      "set REGISTRY_USER and REGISTRY_PASSWORD to the credentials of a registry user with the delete role in registry.users",
    );
  const keep = value("--keep") === undefined ? registry.keepTags : Number(value("--keep"));
  const report = await pruneRegistry({
    api: new RegistryApi({
      url: value("--url") ?? `https://${registry.address}`,
      user,
      password,
      ca: registry.caCert,
    }),
    maintenance: containerMaintenance(stack, host.dockerHost.url),
    keep,
    deployed: deployedVersions(root),
    dryRun,
    log: (text) => write(`${text}\n`),
  });
  const count = Object.values(report.deleted).reduce((n, d) => n + d.length, 0);
  write(
    `${count} image(s) ${dryRun ? "would be " : ""}deleted; garbage collection ${report.garbageCollected ? "ran" : "not needed"}\n`,
  );
}

export const pruneCommand: Command = {
  path: ["registry", "prune"],
  summary: "applies tag retention to a stack's private registry, then garbage-collects",
  options: PRUNE_OPTIONS,
  notes:
    "Credentials: REGISTRY_USER and REGISTRY_PASSWORD of a user with the delete role in registry.users.",
  errorPrefix: "registry:prune",
  run: async (argv, io) => {
    await prune(argv, io.stdout);
    return 0;
  },
};
