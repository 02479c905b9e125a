/**
 * Mutations of the real stack files for property tests: wrong types, missing keys, hostile
 * strings, boundary numbers, unknown and prototype keys, deep nesting and misplaced secrets,
 * applied to any node of a stack file's `config:` block.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";

export type StackName = "testing" | "staging" | "production";
export const STACKS: readonly StackName[] = ["testing", "staging", "production"];

type Path = readonly (string | number)[];
type Container = Record<string, unknown> | unknown[];

/** A marker inside every secret a mutation sets: no message may contain it. */
export const SECRET_MARKER = "SECRETVALUE";
/** Long values: no message may repeat more than LONG_ECHO characters of one. */
export const LONG_VALUE = "x".repeat(5000);
export const LONG_ECHO = 300;

const HOSTILE_STRINGS = [
  "",
  " ",
  ";touch /tmp/owned",
  "$(touch /tmp/owned)",
  "`id`",
  '"; rm -rf / #',
  "a\nExecStartPre=/bin/sh -c id",
  "%h%n\\",
  "../../etc/passwd",
  "/",
  "/etc",
  "null",
  "0.0.0.0/0",
  "127.0.0.1",
  "ü🙂",
  "${JENKINS_HOME}",
  LONG_VALUE,
];

const deep = (levels: number): unknown => {
  let value: unknown = "x";
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

export const mutationValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(0, -1, 1, 1.5, 65535, 65536, 2 ** 31, 1e308, Number.NaN, true, false, null),
  fc.constantFrom([], {}, ["a"], { a: 1 }, [1, "two", null]),
  fc.constantFrom(deep(20), deep(100), { a: { b: { c: deep(30) } } }),
  fc.constant({ secure: `v1:${SECRET_MARKER}` }),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -100_000, max: 100_000 }),
);

const NEW_KEYS = ["colour", "__proto__", "constructor", "prototype", "k".repeat(300), "a b", ""];

export type Edit =
  | { readonly op: "delete"; readonly at: number }
  | { readonly op: "set"; readonly at: number; readonly value: unknown }
  | { readonly op: "add"; readonly at: number; readonly key: string; readonly value: unknown };

export const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: mutationValue }),
  fc.record({
    op: fc.constant("add" as const),
    at: fc.nat(),
    key: fc.constantFrom(...NEW_KEYS),
    value: mutationValue,
  }),
);

export const mutation = (stacks: readonly StackName[] = STACKS) =>
  fc.record({
    stack: fc.constantFrom(...stacks),
    edits: fc.array(edit, { minLength: 1, maxLength: 3 }),
  });

export function stackDocument(root: string, stack: StackName): { config: Record<string, unknown> } {
  return parse(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
}

/** Every node of `value` as a path from it, the root (empty path) first. */
function paths(value: unknown, at: Path = []): Path[] {
  const here = [at];
  if (typeof value !== "object" || value === null) return here;
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return [...here, ...entries.flatMap(([k, v]) => paths(v, [...at, k]))];
}

function nodeAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      typeof node === "object" && node !== null
        ? (node as Record<string, unknown>)[key]
        : undefined,
    root,
  );
}

/** Sets an own property, so `__proto__` is a key like any other (as JSON.parse makes it). */
function put(container: Container, key: string | number, value: unknown): void {
  Object.defineProperty(container, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Applies `edits` to the `config:` block of `doc` in place. */
export function applyEdits(doc: { config: Record<string, unknown> }, edits: readonly Edit[]): void {
  for (const original of edits) {
    // Each edit gets its own copy: one shared value edited twice would be a cycle no YAML file has.
    const e = structuredClone(original);
    const all = paths(doc.config);
    const path = all[e.at % all.length]!;
    const parent = path.length === 0 ? undefined : nodeAt(doc.config, path.slice(0, -1));
    const key = path.at(-1);
    if (e.op === "add") {
      const target = nodeAt(doc.config, path);
      const holder =
        typeof target === "object" && target !== null && !Array.isArray(target)
          ? (target as Record<string, unknown>)
          : doc.config;
      // At the top level a setting is `<project>:<key>`.
      put(holder, holder === doc.config ? `ci-platform:${e.key}` : e.key, e.value);
    } else if (parent === undefined || key === undefined) {
      if (e.op === "set") doc.config = { "ci-platform:kind": e.value };
    } else if (e.op === "delete") {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete (parent as Record<string, unknown>)[key];
    } else {
      put(parent as Container, key, e.value);
    }
  }
}

/** Whether a message's field path, or the setting that holds it, is in the edited file. */
export function namesFieldInFile(message: string, config: Record<string, unknown>): boolean {
  const path = /^(.+?): /.exec(message)?.[1];
  if (path === undefined) return false;
  if (path === "ci-platform") return true;
  const segments = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : m[1]!,
  );
  const [top, ...rest] = segments;
  const root = { [`ci-platform:${String(top)}`]: config[`ci-platform:${String(top)}`] };
  const full: Path = [`ci-platform:${String(top)}`, ...rest];
  // A missing required setting is named at its own path: its holder is in the file.
  for (const candidate of [full, full.slice(0, -1)]) {
    if (candidate.length === 0) return true;
    const node = nodeAt(root, candidate);
    if (node !== undefined || hasOwn(nodeAt(root, candidate.slice(0, -1)), candidate.at(-1)!))
      return true;
  }
  return false;
}

function hasOwn(node: unknown, key: string | number): boolean {
  return (
    typeof node === "object" && node !== null && Object.prototype.hasOwnProperty.call(node, key)
  );
}

/** Text that only a crash, a stack trace or a JavaScript artefact would put in a message. */
export const CRASH_TEXT =
  /\n\s+at |TypeError|RangeError|ReferenceError|SyntaxError|Maximum call stack|Cannot read propert|is not a function|Invalid regular expression|\[object Object\]|undefined is not/;

/** Edits a careful user makes: plausible values of the right kind, and removed settings. */
export const plausibleEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("set" as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.boolean(),
      fc.integer({ min: 5001, max: 5999 }),
      fc.constantFrom("1.4.3", "2026-12-01", "172.30.0.0/16", "10.0.0.2", "blue", "green"),
    ),
  }),
);

export const plausibleMutation = (stacks: readonly StackName[]) =>
  fc.record({
    stack: fc.constantFrom(...stacks),
    edits: fc.array(plausibleEdit, { minLength: 1, maxLength: 2 }),
  });
