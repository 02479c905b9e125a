/**
 * The difference between two offline plans of one stack, resource by resource: a pure function of
 * the two `--json` documents. Resources are keyed by (type, name); secrets stay masked.
 */
import type { PlanDocument, PlanResource } from "./plan-files";
import { inputForcesReplacement } from "./replacement";

/** How the plan writes a secret value; a diff never shows more. */
export const SECRET_MASK = "[secret]";

/** One changed value. `undefined` on a side means the value is absent there. */
export interface ValueChange {
  /** Where: `inputs.ports[0].external`, `inputs.logOpts["max-size"]`, `protect`, `outputs.vpcId`. */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export type ChangeKind = "create" | "update" | "replace" | "delete";

export interface ResourceChange {
  readonly kind: ChangeKind;
  readonly type: string;
  readonly name: string;
  /** Changed inputs and options, for updates and replacements; empty for creates and deletes. */
  readonly changes: readonly ValueChange[];
  /** The changed paths that force the replacement; empty unless `kind` is "replace". */
  readonly replacedBecause: readonly string[];
  /** The resource as the plan it comes from has it: `after` for creates, `before` otherwise. */
  readonly resource: PlanResource;
}

export interface DiffSummary {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
  readonly same: number;
}

export interface PlanDiff {
  readonly stack: string;
  /** Creates, updates and replacements in the new plan's order, then deletes in the old plan's. */
  readonly resources: readonly ResourceChange[];
  /** Changed stack outputs. */
  readonly outputs: readonly ValueChange[];
  readonly summary: DiffSummary;
}

/** Resource options whose change is an in-place update of the state only. */
const OPTION_FIELDS = [
  "protect",
  "retainOnDelete",
  "deleteBeforeReplace",
  "ignoreChanges",
] as const;
/** Options whose change moves the resource: a new URN (parent) or another provider. */
const MOVING_FIELDS = ["parent", "provider"] as const;

const resourceKey = (r: { type: string; name: string }): string => `${r.type}::${r.name}`;

function index(plan: PlanDocument, side: string): Map<string, PlanResource> {
  const byKey = new Map<string, PlanResource>();
  for (const r of plan.resources) {
    const key = resourceKey(r);
    if (byKey.has(key)) {
      throw new Error(
        `the ${side} plan of ${plan.stack} declares ${r.type} ${r.name} twice; resources are keyed by type and name`,
      );
    }
    byKey.set(key, r);
  }
  return byKey;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `a.b`, or `a["max-size"]` for a key that is not an identifier. */
export function childPath(path: string, key: string): string {
  const access = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return path === "" ? key : `${path}${access}`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

/**
 * Appends the changes between `a` and `b` at `path`, descending into maps and lists (by index) so a
 * change names the deepest value that differs. Where either side is a secret, both sides show the
 * mask: a value that became or stopped being secret is "[secret] → [secret]".
 */
export function diffValues(path: string, a: unknown, b: unknown, out: ValueChange[]): void {
  if (deepEqual(a, b)) return;
  if (a === SECRET_MASK || b === SECRET_MASK) {
    out.push({
      path,
      before: a === undefined ? undefined : SECRET_MASK,
      after: b === undefined ? undefined : SECRET_MASK,
    });
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) diffValues(childPath(path, key), a[key], b[key], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      diffValues(`${path}[${i}]`, a[i], b[i], out);
    }
    return;
  }
  out.push({ path, before: a, after: b });
}

/** The top-level input a change path is under: `ports` for `inputs.ports[0].external`. */
function topLevelInput(path: string): string | undefined {
  const rest = path.slice("inputs".length);
  const dotted = /^\.([A-Za-z_$][\w$]*)/.exec(rest);
  if (dotted) return dotted[1];
  const quoted = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest);
  return quoted ? (JSON.parse(quoted[1]!) as string) : undefined;
}

function resourceChanges(before: PlanResource, after: PlanResource): ValueChange[] {
  const changes: ValueChange[] = [];
  for (const field of [...MOVING_FIELDS, ...OPTION_FIELDS]) {
    diffValues(field, before[field] ?? null, after[field] ?? null, changes);
  }
  diffValues("inputs", before.inputs, after.inputs, changes);
  // Pulumi keeps an ignored input's old value on update, so its change is no change at all.
  const ignored = new Set(after.ignoreChanges ?? []);
  return changes.filter((c) => {
    const input = c.path.startsWith("inputs") ? topLevelInput(c.path) : undefined;
    return input === undefined || !ignored.has(input);
  });
}

function replacementReasons(type: string, changes: readonly ValueChange[]): string[] {
  return changes
    .filter((c) => {
      if ((MOVING_FIELDS as readonly string[]).includes(c.path)) return true;
      if (!c.path.startsWith("inputs")) return false;
      const input = topLevelInput(c.path);
      // A change of the whole input map (from or to nothing) is judged input by input.
      return input === undefined ? false : inputForcesReplacement(type, input);
    })
    .map((c) => c.path);
}

/** What `before` → `after` changes, resource by resource; both plans must be of the same stack. */
export function diffPlans(before: PlanDocument, after: PlanDocument): PlanDiff {
  const old = index(before, "old");
  const next = index(after, "new");
  const resources: ResourceChange[] = [];
  let same = 0;
  for (const r of after.resources) {
    const previous = old.get(resourceKey(r));
    if (previous === undefined) {
      resources.push({
        kind: "create",
        type: r.type,
        name: r.name,
        changes: [],
        replacedBecause: [],
        resource: r,
      });
      continue;
    }
    const changes = resourceChanges(previous, r);
    if (changes.length === 0) {
      same++;
      continue;
    }
    const replacedBecause = replacementReasons(r.type, changes);
    resources.push({
      kind: replacedBecause.length > 0 ? "replace" : "update",
      type: r.type,
      name: r.name,
      changes,
      replacedBecause,
      resource: previous,
    });
  }
  for (const r of before.resources) {
    if (!next.has(resourceKey(r))) {
      resources.push({
        kind: "delete",
        type: r.type,
        name: r.name,
        changes: [],
        replacedBecause: [],
        resource: r,
      });
    }
  }
  const outputs: ValueChange[] = [];
  diffValues("outputs", before.outputs, after.outputs, outputs);
  const count = (kind: ChangeKind): number => resources.filter((r) => r.kind === kind).length;
  return {
    stack: after.stack,
    resources,
    outputs,
    summary: {
      create: count("create"),
      update: count("update"),
      replace: count("replace"),
      delete: count("delete"),
      same,
    },
  };
}

/** `+2 ~1 ±1 -0`: creates, updates, replacements, deletes. */
export function summaryLine(summary: DiffSummary): string {
  return `+${summary.create} ~${summary.update} ±${summary.replace} -${summary.delete}`;
}

/** Whether the diff changes anything at all, outputs included. */
export function hasChanges(diff: PlanDiff): boolean {
  return diff.resources.length > 0 || diff.outputs.length > 0;
}
