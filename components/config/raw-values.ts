/**
 * The first step of reading a stack's config: the strings the engine hands the program become
 * plain data that later steps can trust. Maps are built without a prototype, so no key (such as
 * `__proto__`) can change what another key reads; nesting and key length are bounded, so no
 * value can exhaust the stack or flood a message; and a secret set where the program does not
 * read a secret is refused before its value can be echoed anywhere.
 */
import type { ConfigIssue } from "./types";

/** Deeper than any setting the program reads (ciHosts.<h>.dataRefresh.<d>.command is 5). */
export const MAX_NESTING = 16;
/** The longest key the program could accept: a DNS name is at most 253 characters. */
export const MAX_KEY_LENGTH = 253;
/** Keys that name parts of JavaScript objects rather than settings. */
const OBJECT_MACHINERY = new Set(["__proto__", "constructor", "prototype"]);
/** Every key the program reads is a setting name, DNS label or node name: nothing else can be right. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface RawValues {
  /** Settings without the `<project>:` prefix; every map in them has no prototype. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Settings the engine holds as secrets (set with --secret, wherever in the value). */
  readonly secretKeys: ReadonlySet<string>;
  /** Problems found here; the settings they concern are left out of `values`. */
  readonly issues: readonly ConfigIssue[];
  /** Paths of what was refused here, so later steps report nothing more at or under them. */
  readonly refused: ReadonlySet<string>;
}

/** The engine passes maps and lists as JSON and everything else as text. */
export function parseEngineValue(text: string): unknown {
  const trimmed = text.trim();
  if (/^[[{]/.test(trimmed) || /^(true|false|null|-?\d+(\.\d+)?)$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function notANameMessage(key: string): string {
  return `has a key ${quoteKey(key)} that is not a name (letters, digits, '.', '_' and '-'); rename or remove it`;
}

/** A short, safe rendering of a key for a message. */
function quoteKey(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
}

/**
 * Copies `value` into prototype-free maps and plain lists, recording an issue at the path of
 * anything nested too deeply, any key that is JavaScript object machinery, and any key too long
 * to be a name. Returns undefined for a value that was refused as a whole.
 */
export function plainData(path: string, value: unknown, issues: ConfigIssue[], depth = 1): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_NESTING) {
    issues.push({
      path,
      message: `${path}: nests values more than ${MAX_NESTING} levels deep; no setting is nested that deeply, so check the brackets`,
    });
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => plainData(`${path}[${i}]`, item, issues, depth + 1));
  }
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (OBJECT_MACHINERY.has(key)) {
      issues.push({
        path: `${path}.${key}`,
        message: `${path}.${key}: is not a setting (it is a name JavaScript reserves for objects); remove it`,
      });
    } else if (key.length > MAX_KEY_LENGTH) {
      issues.push({
        path,
        message: `${path}: has a key of ${key.length} characters (${quoteKey(key)}); keys are names of at most ${MAX_KEY_LENGTH} characters`,
      });
    } else if (!NAME.test(key)) {
      issues.push({ path, message: `${path}: ${notANameMessage(key)}` });
    } else {
      copy[key] = plainData(
        `${path}.${key}`,
        (value as Record<string, unknown>)[key],
        issues,
        depth + 1,
      );
    }
  }
  return copy;
}

/**
 * Turns the engine's config (full keys `<project>:<key>` -> text) into plain values of the
 * project's namespace. `isSecret` says whether the engine holds a full key as a secret;
 * `secretSettings` are the settings the program reads as secrets.
 */
export function rawValuesFromEngine(
  project: string,
  config: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean,
  secretSettings: readonly string[],
): RawValues {
  const prefix = `${project}:`;
  const values = Object.create(null) as Record<string, unknown>;
  const secretKeys = new Set<string>();
  const issues: ConfigIssue[] = [];
  const refused = new Set<string>();
  for (const fullKey of Object.keys(config).sort()) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    const secret = isSecret(fullKey);
    if (key.length > MAX_KEY_LENGTH) {
      issues.push({
        path: project,
        message: `${project}: has a key of ${key.length} characters (${quoteKey(key)}), which is not a setting; remove it`,
      });
      continue;
    }
    if (!NAME.test(key) && !OBJECT_MACHINERY.has(key)) {
      issues.push({ path: project, message: `${project}: ${notANameMessage(key)}` });
      continue;
    }
    if (secret && !secretSettings.includes(key)) {
      // Reading it would put the secret into plain resource inputs, plans and messages.
      issues.push({
        path: key,
        message: `${key}: holds a value set with --secret, but ${key} is not read as a secret (the secret settings are ${[...secretSettings].sort().join(", ")}); set it without --secret, and keep credentials a command needs in a file on the host`,
      });
      refused.add(key);
      continue;
    }
    if (secret) secretKeys.add(key);
    const value = secret
      ? config[fullKey]!
      : plainData(key, parseEngineValue(config[fullKey]!), issues);
    if (value !== undefined) values[key] = value;
  }
  for (const issue of issues) refused.add(issue.path);
  return { values, secretKeys, issues, refused };
}
