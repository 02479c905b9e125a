/** Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI hands them to a program. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { MAX_NESTING } from "../components/config/raw-values";
import { SECRET_SETTINGS } from "../components/config/validate";

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

/** A `secure:` value; with other keys beside it, still one: its ciphertext is never shown. */
function isSecureValue(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.prototype.hasOwnProperty.call(value, "secure")
  );
}

/** Whether a config value holds a `secure:` value anywhere (`pulumi config set --secret --path`). */
function holdsSecure(value: unknown, depth = 0): boolean {
  if (typeof value !== "object" || value === null || depth > MAX_NESTING) return false;
  if (isSecureValue(value)) return true;
  return Object.values(value).some((v) => holdsSecure(v, depth + 1));
}

/** `value` with every `secure:` value replaced by the placeholder, as the engine would decrypt it. */
function withPlaceholders(value: unknown, depth = 0): unknown {
  if (typeof value !== "object" || value === null || depth > MAX_NESTING) return value;
  if (isSecureValue(value)) return SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return value.map((v) => withPlaceholders(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, withPlaceholders(v, depth + 1)]),
  );
}

/** Thrown when a stack file cannot be read as config; its message is for the file's author. */
export class StackFileError extends Error {}

/** JSON text of a value, or undefined when it nests too deeply to encode. */
function encode(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

/**
 * The first line where flow brackets nest deeper than a YAML parser can follow, or undefined.
 * Quoted text is skipped; the count is conservative, which is all a guard needs.
 */
export function deeplyNestedLine(text: string, limit: number): number | undefined {
  let depth = 0;
  let line = 1;
  let quote: string | undefined;
  for (const ch of text) {
    if (ch === "\n") line++;
    if (quote !== undefined) {
      if (ch === quote || ch === "\n") quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "[" || ch === "{") {
      if (++depth > limit) return line;
    } else if (ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** The top-level config key whose value holds `line`: the nearest key line above it. */
function keyAtLine(text: string, line: number): string | undefined {
  const lines = text.split("\n").slice(0, line);
  for (let i = lines.length - 1; i >= 0; i--) {
    const key = /^ {2}([^\s#][^\s]*?):(\s|$)/.exec(lines[i]!)?.[1];
    if (key !== undefined) return key;
  }
  return undefined;
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
    if (isSecureValue(value)) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
      continue;
    }
    if (holdsSecure(value)) secretKeys.push(key);
    const text = typeof value === "string" ? value : encode(withPlaceholders(value));
    if (text === undefined)
      throw new StackFileError(
        `${source}: ${rawKey.replace(`${project}:`, "").slice(0, 80)} nests values more than ${MAX_NESTING} levels deep; no setting is nested that deeply, so check the brackets`,
      );
    config[key] = text;
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
  const source = file ?? `Pulumi.${stack}.yaml`;
  const deep = deeplyNestedLine(text, MAX_NESTING * 4);
  if (deep !== undefined)
    throw new StackFileError(
      `${source}: ${keyAtLine(text, deep)?.replace(`${project}:`, "").slice(0, 80) ?? `line ${deep}`} nests values more than ${MAX_NESTING} levels deep (line ${deep}); no setting is nested that deeply, so check the brackets`,
    );
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0]! : String(err);
    throw new StackFileError(`${source} is not valid YAML: ${reason.slice(0, 200)}`);
  }
  return stackConfigFromYaml(project, document, source);
}
