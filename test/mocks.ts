/**
 * Shared Pulumi mocks for stack tests: evaluates the real program with a stack's real
 * `Pulumi.<stack>.yaml` as config. One evaluation per test file (the SDK's runtime is global).
 */
import { resolve } from "node:path";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import {
  evaluateProgram,
  type EvaluateOptions,
  type Evaluation,
  type PlannedResource,
} from "../lib/evaluate";
import { readStackFile, stackConfigFromYaml, type StackFileConfig } from "../lib/stack-file";

export const PROJECT_ROOT = resolve(__dirname, "..");

/** The stack file's config with the program's required secrets set to known test values. */
export function stackConfig(stack: string, secrets: Record<string, string> = {}): StackFileConfig {
  return withSecrets(readStackFile(PROJECT_ROOT, stack), secrets);
}

/** `config` with `secrets` (names without the project prefix) set as secret values. */
export function withSecrets(
  config: StackFileConfig,
  secrets: Readonly<Record<string, string>>,
): StackFileConfig {
  const values = { ...config.config };
  for (const [name, value] of Object.entries(secrets)) values[`${config.project}:${name}`] = value;
  const secretKeys = [
    ...new Set([
      ...config.secretKeys,
      ...Object.keys(secrets).map((n) => `${config.project}:${n}`),
    ]),
  ].sort();
  return { ...config, config: values, secretKeys };
}

/** A stack file edited in memory: `edit` receives the parsed YAML and changes it. */
export function editedStackConfig(
  stack: string,
  edit: (doc: { config: Record<string, unknown> }) => void,
): StackFileConfig {
  const doc = parse(readFileSync(resolve(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  edit(doc);
  return stackConfigFromYaml(
    readStackFile(PROJECT_ROOT, stack).project,
    doc,
    `Pulumi.${stack}.yaml (edited)`,
  );
}

export function evaluateStack(
  stack: string,
  config: StackFileConfig = stackConfig(stack),
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  return evaluateProgram(config, stack, () => import("../index"), options);
}

/** `type name` lines, sorted: the exact set of resources a stack declares. */
export function resourceList(evaluation: Evaluation): string[] {
  return evaluation.resources
    .filter((r) => r.type !== "pulumi:pulumi:Stack")
    .map((r) => `${r.type} ${r.name}`)
    .sort();
}

export function findResource(evaluation: Evaluation, type: string, name: string): PlannedResource {
  const found = evaluation.resources.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(`no ${type} named ${name}; declared: ${resourceList(evaluation).join(", ")}`);
  return found;
}
