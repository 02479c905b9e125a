/** A stack's validated config straight from its YAML, for tools that run without the Pulumi engine. */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatConfigIssues } from "../components/config/format";
import type { PlatformConfig } from "../components/config/types";
import { validateEngineConfig, type ValidationResult } from "../components/config/validate";
import { readStackFile, type StackFileConfig } from "./stack-file";

/** Validates a stack file's engine config exactly as the program reads it from the engine. */
export function validateStackFile(file: StackFileConfig, stack: string): ValidationResult {
  return validateEngineConfig(file.project, stack, file.config, (key) =>
    file.secretKeys.includes(key),
  );
}

export function validatedStackConfig(root: string, stack: string): PlatformConfig {
  const file = readStackFile(root, stack);
  const result = validateStackFile(file, stack);
  if (!result.ok) throw new Error(formatConfigIssues(file.project, stack, result.issues));
  return result.config;
}

/**
 * Writes `edited` over `Pulumi.<stack>.yaml` and keeps it only if the stack config stays valid,
 * returning that config; otherwise puts `original` back and fails with the config's errors.
 * `change` names the edit in the message: `api 1.5.0`.
 */
export function writeValidatedStackFile(
  root: string,
  stack: string,
  original: string,
  edited: string,
  change?: string,
): PlatformConfig {
  const fileName = `Pulumi.${stack}.yaml`;
  writeFileSync(join(root, fileName), edited);
  try {
    return validatedStackConfig(root, stack);
  } catch (e) {
    writeFileSync(join(root, fileName), original);
    throw new Error(
      `${fileName} would be invalid${change === undefined ? "" : ` with ${change}`}, so it is left as it was:\n${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** Every stack that has a `Pulumi.<stack>.yaml` in the project root. */
export function stackNames(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.([a-z0-9-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** App -> versions some stack deploys: what retention must never delete. */
export function deployedVersions(root: string): Map<string, Set<string>> {
  const deployed = new Map<string, Set<string>>();
  for (const stack of stackNames(root)) {
    for (const app of validatedStackConfig(root, stack).apps) {
      if (app.version === undefined) continue;
      const versions = deployed.get(app.name) ?? new Set<string>();
      versions.add(app.version);
      deployed.set(app.name, versions);
    }
  }
  return deployed;
}
