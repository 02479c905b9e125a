/**
 * `ci-platform promote <service> <version> --to <stack>` (`npm run promote --`): deploys a service
 * version to a stack by editing `ci-platform:services.apps.<service>` in `Pulumi.<stack>.yaml`
 * (comments and key order kept). On a CI-host stack it sets only `version`; rolling back is
 * promoting the previous version, which it prints. On an aws stack it makes the same edit as `npm
 * run release` (`version`, `previousVersion` the version it replaces, `liveSlot` the other slot:
 * tools/release/slot-edits.ts), so every promotion alternates the slot and records the rollback
 * target; it prints the next steps (plan diff, `pulumi up`) and the rollback command. Refuses a
 * service the catalog or the stack does not have, a version the registry does not hold (when
 * REGISTRY_URL is set and reachable), and an edit that makes the stack config invalid (the file is
 * restored).
 *
 * Registry check: REGISTRY_URL (`https://registry.example.com:5443`), REGISTRY_USER,
 * REGISTRY_PASSWORD, and optionally REGISTRY_CA (a PEM file to trust).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SERVICE_CATALOG } from "../../components/catalog/catalog";
import { RegistryApi, type RegistryApiOptions } from "../registry/registry-api";
import { writeValidatedStackFile } from "../../lib/stack-config";
import { readProjectName } from "../../lib/stack-file";
import { awsReleaseLines } from "../release/aws-release";
import {
  parseCommandLine,
  stringValue,
  UsageError,
  type Command,
  type OptionSpecs,
} from "../cli/command";
import { releaseEdit } from "../release/slot-edits";
import {
  selectedApps,
  serviceVersion,
  setServiceVersion,
  stackSetting,
} from "../../lib/stack-yaml";

const USAGE = "usage: npm run promote -- <service> <version> --to <stack>";

export interface PromoteArgs {
  readonly service: string;
  readonly version: string;
  readonly stack: string;
}

export const PROMOTE_OPTIONS: OptionSpecs = {
  to: { type: "string", value: "stack", description: "the stack to promote the version to" },
};

export function parsePromoteArgs(argv: readonly string[]): PromoteArgs {
  const line = parseCommandLine(argv, PROMOTE_OPTIONS, USAGE, { positionals: true });
  const [service, version, ...extra] = line.positionals;
  const stack = stringValue(line, "to");
  if (service === undefined || version === undefined || extra.length > 0 || !stack) {
    throw new UsageError(USAGE);
  }
  return { service, version, stack };
}

/** The registry to check tags in, from the environment; undefined when REGISTRY_URL is unset. */
export function registryFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): RegistryApiOptions | undefined {
  const url = env["REGISTRY_URL"];
  if (!url) return undefined;
  const user = env["REGISTRY_USER"];
  const password = env["REGISTRY_PASSWORD"];
  if (!user || !password) {
    throw new Error(
      "REGISTRY_URL is set but REGISTRY_USER or REGISTRY_PASSWORD is not; set both, or unset REGISTRY_URL to skip the registry check",
    );
  }
  const caFile = env["REGISTRY_CA"];
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, "utf8");
    } catch {
      throw new Error(`REGISTRY_CA ${caFile} cannot be read; point it at the registry's PEM CA`);
    }
  }
  return { url, user, password, timeoutMs: 15_000, ...(ca === undefined ? {} : { ca }) };
}

/**
 * Checks that `version` is a tag of repository `service`. Returns a warning instead when the
 * registry cannot be reached at all; throws (refusing the promotion) when it answers otherwise.
 */
export async function checkRegistryTag(
  registry: RegistryApiOptions,
  service: string,
  version: string,
): Promise<string | undefined> {
  const api = new RegistryApi(registry);
  let response;
  try {
    response = await api.call("GET", `/v2/${service}/tags/list`);
  } catch (e) {
    return `warning: registry ${registry.url} is not reachable (${e instanceof Error ? e.message : String(e)}); the tag ${service}:${version} was not checked`;
  }
  if (response.status === 404) {
    throw new Error(
      `registry ${registry.url} has no repository ${service}, so no tag ${version}; push the image first`,
    );
  }
  if (response.status !== 200) {
    throw new Error(
      `registry ${registry.url} answered HTTP ${response.status} for ${service}'s tags, so ${version} cannot be checked; fix the credentials or unset REGISTRY_URL`,
    );
  }
  const tags = ((JSON.parse(response.body) as { tags?: string[] | null }).tags ?? []).slice();
  if (!tags.includes(version)) {
    const recent = tags.sort().slice(-5).join(", ");
    throw new Error(
      `registry ${registry.url} has no tag ${service}:${version}` +
        (recent ? ` (it has ${recent})` : " (the repository has no tags)") +
        "; push the image first",
    );
  }
  return undefined;
}

export interface PromoteOptions extends PromoteArgs {
  /** Project root holding `Pulumi.yaml` and the stack files. */
  readonly root: string;
  /** Registry to check the tag in. @default none: the tag is not checked */
  readonly registry?: RegistryApiOptions | undefined;
}

export interface PromoteResult {
  /** The version the stack had, or undefined when it set none. */
  readonly previous: string | undefined;
  /** Whether the stack file changed. */
  readonly changed: boolean;
  /** What to print: the change and how to roll it back, plus any warning. */
  readonly lines: readonly string[];
}

export async function promote(options: PromoteOptions): Promise<PromoteResult> {
  const { root, service, version, stack } = options;
  const fileName = `Pulumi.${stack}.yaml`;
  const path = join(root, fileName);
  let original: string;
  try {
    original = readFileSync(path, "utf8");
  } catch {
    throw new Error(`there is no stack file ${fileName}`);
  }
  const project = readProjectName(root);
  const catalogApps = SERVICE_CATALOG.filter((e) => e.kind === "app").map((e) => e.name);
  if (!catalogApps.includes(service)) {
    throw new Error(
      `${service} is not an app in the catalog; promote one of ${[...catalogApps].sort().join(", ")}`,
    );
  }
  if (!selectedApps(original, project).includes(service)) {
    throw new Error(
      `${service} is not selected in ${fileName} (services.apps); add it there before promoting a version to ${stack}`,
    );
  }
  const previous = serviceVersion(original, service, project);
  if (previous === version) {
    return {
      previous,
      changed: false,
      lines: [`${service} is already at ${version} in ${fileName}; nothing changed`],
    };
  }
  const warning = options.registry
    ? await checkRegistryTag(options.registry, service, version)
    : undefined;
  const aws = stackSetting(original, "kind", project) === "aws";
  const edited = aws
    ? releaseEdit(original, service, version, project)
    : setServiceVersion(original, service, version, project);
  const config = writeValidatedStackFile(root, stack, original, edited, `${service} ${version}`);
  if (aws) {
    const after = config.apps.find((a) => a.name === service)!;
    return {
      previous,
      changed: true,
      lines: [...(warning ? [warning] : []), ...awsReleaseLines("release", stack, after)],
    };
  }
  const rollback =
    previous === undefined
      ? `roll back by removing services.apps.${service}.version from ${fileName}`
      : `roll back with: npm run promote -- ${service} ${previous} --to ${stack}`;
  return {
    previous,
    changed: true,
    lines: [
      ...(warning ? [warning] : []),
      `${service}: ${previous ?? "(no version)"} → ${version} in ${fileName} (${rollback})`,
    ],
  };
}

export const promoteCommand: Command = {
  path: ["promote"],
  summary: "sets a service's version in a stack file (on aws stacks, the release edit)",
  positionals: "<service> <version>",
  options: PROMOTE_OPTIONS,
  notes:
    "Registry check: REGISTRY_URL, REGISTRY_USER, REGISTRY_PASSWORD, optionally REGISTRY_CA (a PEM file).",
  errorPrefix: "promote refused",
  run: async (argv, io) => {
    const args = parsePromoteArgs(argv);
    const result = await promote({
      ...args,
      root: resolve(__dirname, "..", ".."),
      registry: registryFromEnv(process.env),
    });
    for (const line of result.lines) io.stdout(`${line}\n`);
    return 0;
  },
};
