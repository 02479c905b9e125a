/** Renders an evaluation as the offline plan: a preview-like tree, or one JSON document. */
import type { Evaluation, PlannedResource } from "./evaluate";

const STACK_TYPE = "pulumi:pulumi:Stack";

/** The `--json` document: stable key order, resources in declaration order. */
export function renderPlanJson(evaluation: Evaluation): string {
  const resources = evaluation.resources
    .filter((r) => r.type !== STACK_TYPE)
    .map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      provider: r.provider ?? null,
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
      deleteBeforeReplace: r.deleteBeforeReplace,
      // Only where set, so the plans of stacks without any stay as they were.
      ...(r.ignoreChanges.length > 0 ? { ignoreChanges: r.ignoreChanges } : {}),
      inputs: r.inputs,
    }));
  return `${JSON.stringify({ stack: evaluation.stack, resources, outputs: evaluation.outputs }, null, 2)}\n`;
}

/** The tree, as `pulumi preview` would list a first `up` of the stack. */
export function renderPlanText(evaluation: Evaluation): string {
  const resources = evaluation.resources.filter((r) => r.type !== STACK_TYPE);
  const children = new Map<string | undefined, PlannedResource[]>();
  for (const r of resources) {
    const siblings = children.get(r.parent) ?? [];
    siblings.push(r);
    children.set(r.parent, siblings);
  }
  const known = new Set(resources.map((r) => `${r.type}::${r.name}`));
  const depth = (r: PlannedResource): number => {
    let d = 1;
    for (let p = r.parent; p !== undefined && known.has(p); d++)
      p = resources.find((x) => `${x.type}::${x.name}` === p)?.parent;
    return d;
  };
  const width =
    Math.max(STACK_TYPE.length, ...resources.map((r) => 3 * depth(r) + 1 + r.type.length)) + 2;
  const lines = [
    `Offline plan of stack ${evaluation.stack} (project ${evaluation.project}; evaluated under mocks, nothing contacted)`,
    "",
    `    ${"Type".padEnd(width)}Name`,
    ` +  ${STACK_TYPE.padEnd(width)}${evaluation.project}-${evaluation.stack}`,
  ];
  const walk = (parent: string | undefined, prefix: string): void => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const branch = `${prefix}${last ? "└─ " : "├─ "}`;
      const flags = [
        r.protect ? "protected" : "",
        r.retainOnDelete ? "retained on delete" : "",
        r.ignoreChanges.length > 0 ? `ignores changes to ${r.ignoreChanges.join(", ")}` : "",
      ].filter(Boolean);
      const label = `${branch}${r.type}`;
      lines.push(
        ` +  ${label.padEnd(width)}${r.name}${flags.length ? `  [${flags.join(", ")}]` : ""}`,
      );
      walk(`${r.type}::${r.name}`, `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(undefined, " ");
  // A parent outside the tree would hide its children: list them at the root instead.
  for (const r of resources) {
    if (
      r.parent !== undefined &&
      r.parent !== `${STACK_TYPE}::${evaluation.project}-${evaluation.stack}` &&
      !known.has(r.parent)
    ) {
      lines.push(` +  ${r.type.padEnd(width)}${r.name}  [parent ${r.parent} not declared]`);
    }
  }
  const protectedCount = resources.filter((r) => r.protect).length;
  lines.push(
    "",
    "Outputs:",
    ...Object.keys(evaluation.outputs).map(
      (k) => `    ${k}: ${JSON.stringify(evaluation.outputs[k])}`,
    ),
    "",
    "Resources:",
    `    + ${resources.length + 1} to create${protectedCount ? ` (${protectedCount} protected)` : ""}`,
    "",
  );
  return lines.join("\n");
}
