/**
 * Renders a plan diff for a terminal or as a pull-request comment (GitHub markdown): the summary
 * line first, then creates, updates, replacements and deletes, each naming its resources and, for
 * updates and replacements, every changed value as `path: old → new`.
 */
import {
  childPath,
  hasChanges,
  SECRET_MASK,
  summaryLine,
  type ChangeKind,
  type PlanDiff,
  type ResourceChange,
  type ValueChange,
} from "../../lib/plan-diff";

const KIND_ORDER: readonly ChangeKind[] = ["create", "update", "replace", "delete"];
const SYMBOL: Readonly<Record<ChangeKind, string>> = {
  create: "+",
  update: "~",
  replace: "±",
  delete: "-",
};
const HEADING: Readonly<Record<ChangeKind, string>> = {
  create: "Create",
  update: "Update",
  replace: "Replace",
  delete: "Delete",
};

/** Longest single-line value shown before it is cut. */
const MAX_VALUE_CHARS = 200;
/** Longest text whose lines are diffed (lines on each side). */
const MAX_DIFF_LINES = 2000;
/** GitHub refuses comments over 65,536 characters; keep well under. */
export const MAX_MARKDOWN_CHARS = 60_000;

/** A value as a diff line shows it: JSON, the mask as is, "(none)" for an absent value. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(none)";
  if (value === SECRET_MASK) return SECRET_MASK;
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** Lines removed and added between two texts (longest common subsequence), without context. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES) {
    return [`(${a.length} lines → ${b.length} lines; too long to diff here)`];
  }
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] =
        a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push(`- ${a[i++]}`);
    } else {
      out.push(`+ ${b[j++]}`);
    }
  }
  return out;
}

/** One changed value as lines: `path: old → new`, or a line diff for multi-line text. */
export function formatChange(change: ValueChange): string[] {
  const { path, before, after } = change;
  if (
    typeof before === "string" &&
    typeof after === "string" &&
    before !== SECRET_MASK &&
    (before.includes("\n") || after.includes("\n"))
  ) {
    const lines = lineDiff(before, after);
    return [`${path}: text changed`, ...lines.map((l) => `    ${l}`)];
  }
  return [`${path}: ${formatValue(before)} → ${formatValue(after)}`];
}

/** A created resource's inputs as `path: value` lines (leaves only; text shown by its first line). */
export function flattenInputs(inputs: Readonly<Record<string, unknown>>): string[] {
  const lines: string[] = [];
  const walk = (path: string, value: unknown): void => {
    if (Array.isArray(value) && value.length > 0) {
      value.forEach((v, i) => walk(`${path}[${i}]`, v));
    } else if (typeof value === "object" && value !== null && Object.keys(value).length > 0) {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record).sort()) walk(childPath(path, key), record[key]);
    } else if (typeof value === "string" && value.includes("\n")) {
      const count = value.split("\n").length;
      lines.push(`${path}: ${formatValue(value.split("\n")[0])}… (${count} lines)`);
    } else {
      lines.push(`${path}: ${formatValue(value)}`);
    }
  };
  for (const key of Object.keys(inputs).sort()) walk(childPath("inputs", key), inputs[key]);
  return lines;
}

/** What a reviewer must know beyond the values: protection, retention, why it is replaced. */
export function notes(change: ResourceChange): string[] {
  const { resource } = change;
  const result: string[] = [];
  if (change.kind === "replace") {
    result.push(`replaced because ${change.replacedBecause.join(", ")} changed`);
    if (change.replacedBecause.includes("parent")) {
      result.push("a new parent is a new URN: add an alias to keep the resource");
    }
  }
  if ((change.kind === "replace" || change.kind === "delete") && resource.protect) {
    result.push(`protected: pulumi up refuses to ${change.kind} it`);
  }
  if (change.kind === "delete" && resource.retainOnDelete) {
    result.push("retained on delete: removed from the stack, left in place");
  }
  return result;
}

function header(diff: PlanDiff): string {
  return `Plan diff of stack ${diff.stack}: ${summaryLine(diff.summary)}`;
}

/** The diff for a terminal or a test failure. */
export function renderDiffText(diff: PlanDiff): string {
  const lines = [header(diff)];
  if (!hasChanges(diff)) {
    lines.push("", "No changes.");
    return `${lines.join("\n")}\n`;
  }
  for (const kind of KIND_ORDER) {
    const group = diff.resources.filter((r) => r.kind === kind);
    if (group.length === 0) continue;
    lines.push("", `${HEADING[kind]} (${group.length}):`);
    for (const change of group) {
      const extra = notes(change);
      lines.push(
        `  ${SYMBOL[kind]} ${change.type} ${change.name}${extra.length ? `  [${extra.join("; ")}]` : ""}`,
      );
      for (const c of change.changes) lines.push(...formatChange(c).map((l) => `      ${l}`));
    }
  }
  if (diff.outputs.length > 0) {
    lines.push("", `Outputs (${diff.outputs.length}):`);
    for (const c of diff.outputs) lines.push(...formatChange(c).map((l) => `  ~ ${l}`));
  }
  return `${lines.join("\n")}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A fenced block that no backtick run inside `lines` can close early. */
function fenced(lines: readonly string[]): string[] {
  const longest = Math.max(
    2,
    ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))),
  );
  const fence = "`".repeat(longest + 1);
  return [`${fence}text`, ...lines, fence];
}

function markdownResource(change: ResourceChange, compactCreates: boolean): string[] {
  const extra = notes(change);
  const body =
    change.kind === "create"
      ? compactCreates
        ? []
        : flattenInputs(change.resource.inputs)
      : change.changes.flatMap((c) => formatChange(c));
  const title =
    `${SYMBOL[change.kind]} <code>${escapeHtml(change.type)}</code> <b>${escapeHtml(change.name)}</b>` +
    (extra.length ? ` — ${escapeHtml(extra.join("; "))}` : "");
  if (body.length === 0) return [`- ${title}`];
  return ["<details>", `<summary>${title}</summary>`, "", ...fenced(body), "", "</details>"];
}

/**
 * The diff as a pull-request comment or job summary: summary line first, one collapsible per
 * resource. Past `maxChars`, created resources shrink first (replacements and deletes matter more
 * to a reviewer): to one line each, then to a count per type; then whole blocks are left out, with
 * a note saying so.
 */
export function renderDiffMarkdown(diff: PlanDiff, maxChars = MAX_MARKDOWN_CHARS): string {
  const head = `**Offline plan diff of \`${diff.stack}\`: \`${summaryLine(diff.summary)}\`**`;
  if (!hasChanges(diff)) return `${head}\n\nNo changes.\n`;
  /** Creates in full, as one line each, or counted by type: each level is shorter. */
  const blocksOf = (creates: "full" | "lines" | "counts"): string[] => {
    const blocks: string[] = [head];
    for (const kind of KIND_ORDER) {
      const group = diff.resources.filter((r) => r.kind === kind);
      if (group.length === 0) continue;
      blocks.push(`#### ${SYMBOL[kind]} ${HEADING[kind]} (${group.length})`);
      if (kind === "create" && creates === "counts") {
        const byType = new Map<string, number>();
        for (const r of group) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
        blocks.push(
          [...byType].map(([type, n]) => `- ${n} × <code>${escapeHtml(type)}</code>`).join("\n"),
        );
        continue;
      }
      for (const change of group) {
        blocks.push(markdownResource(change, creates !== "full").join("\n"));
      }
    }
    if (diff.outputs.length > 0) {
      blocks.push(`#### Outputs (${diff.outputs.length})`);
      blocks.push(fenced(diff.outputs.flatMap((c) => formatChange(c))).join("\n"));
    }
    return blocks;
  };
  const budget = maxChars - 300;
  const size = (blocks: readonly string[]): number => blocks.reduce((n, b) => n + b.length + 2, 0);
  let blocks = blocksOf("full");
  if (size(blocks) > budget) blocks = blocksOf("lines");
  if (size(blocks) > budget) blocks = blocksOf("counts");
  let text = "";
  for (const [i, block] of blocks.entries()) {
    if (text.length + block.length + 2 > budget) {
      return (
        `${text}_${blocks.length - i} more blocks left out to stay under ${maxChars} characters; ` +
        `run \`npm run plan:diff -- --stack ${diff.stack}\` for all of them._\n`
      );
    }
    text += `${block}\n\n`;
  }
  return `${text.trimEnd()}\n`;
}
