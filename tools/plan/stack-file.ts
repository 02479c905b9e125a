/** Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI hands them to a program. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { SECRET_SETTINGS } from "../../components/config/validate";

export interface StackFileConfig {
  readonly project: string;
  /** Full keys (`<project>:<key>`) -> the string the engine passes: JSON for maps and lists. */
  readonly config: Record<string, string>;
  /** Full keys whose value is `secure:` in the file. */
  readonly secretKeys: string[];
  /** Required secrets the file does not set, which the plan stands in for. */
  readonly placeholderSecrets: string[];
}

/** Stand-in for a `secure:` value: the offline plan never decrypts, and masks every secret. */
export const SECRET_PLACEHOLDER = "offline-plan-secret";

export function readProjectName(root: string): string {
  const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name?: unknown };
  if (typeof project?.name !== "string") throw new Error("Pulumi.yaml has no project name");
  return project.name;
}

/** Converts a stack file's `config:` block to engine config, given the parsed YAML. */
export function stackConfigFromYaml(
  project: string,
  document: unknown,
  source: string,
): StackFileConfig {
  const root = (document ?? {}) as { config?: unknown };
  const block = root.config ?? {};
  if (typeof block !== "object" || block === null || Array.isArray(block)) {
    throw new Error(`${source}: "config" is not a map`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(block as Record<string, unknown>)) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const isSecure =
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      Object.keys(value).length === 1 &&
      "secure" in value;
    if (isSecure) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  // Secrets live in each team's own stack files or secret store; a plan is reviewed without them.
  const values = Object.fromEntries(
    Object.entries(block as Record<string, unknown>).map(([k, v]) => [
      k.replace(`${project}:`, ""),
      v,
    ]),
  );
  const placeholderSecrets: string[] = [];
  for (const [name, setting] of Object.entries(SECRET_SETTINGS)) {
    const key = `${project}:${name}`;
    if (config[key] === undefined && setting.isRequired(values)) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
      placeholderSecrets.push(name);
    }
  }
  return { project, config, secretKeys: secretKeys.sort(), placeholderSecrets };
}

/** Reads `Pulumi.<stack>.yaml` from the project root, or `file` in its place (a proposed change). */
export function readStackFile(root: string, stack: string, file?: string): StackFileConfig {
  const project = readProjectName(root);
  const path = file ?? join(root, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(
      file === undefined
        ? `no stack file Pulumi.${stack}.yaml; the stacks are testing, staging and production`
        : `cannot read stack file ${file}`,
    );
  }
  return stackConfigFromYaml(project, parse(text), file ?? `Pulumi.${stack}.yaml`);
}
