/** A stack's validated config straight from its YAML, for tools that run without the Pulumi engine. */
import { readdirSync } from "node:fs";
import { formatConfigIssues } from "../components/config/format";
import type { PlatformConfig } from "../components/config/types";
import { validateStackConfig } from "../components/config/validate";
import { readStackFile } from "./plan/stack-file";

export function validatedStackConfig(root: string, stack: string): PlatformConfig {
  const file = readStackFile(root, stack);
  const prefix = `${file.project}:`;
  const values = Object.fromEntries(
    Object.entries(file.config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [
        key.slice(prefix.length),
        /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value,
      ]),
  );
  const secretKeys = new Set(file.secretKeys.map((k) => k.slice(prefix.length)));
  const result = validateStackConfig({ project: file.project, stack, values, secretKeys });
  if (!result.ok) throw new Error(formatConfigIssues(file.project, stack, result.issues));
  return result.config;
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
