/**
 * `ci-platform plan diff --stack <stack> [...]` (`npm run plan:diff -- --stack <stack> [--base
 * <git-ref>] [--head <git-ref>] [--markdown]`: what a change does to a stack's offline plan. The
 * base defaults to `origin/main` when it exists, else `HEAD`; the head defaults to the working
 * tree. Prints only what changes, grouped as create, update, replace and delete, summary line
 * first; `--markdown` renders it as a pull-request comment.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderDiffMarkdown, renderDiffText } from "./diff-render";
import { diffPlans } from "../../lib/plan-diff";
import {
  emptyPlan,
  parsePlanDocument,
  planEntry,
  planJson,
  type PlanDocument,
} from "../../lib/plan-files";
import { defaultBase, withRevision } from "./revision";
import {
  flagValue,
  parseCommandLine,
  stringValue,
  UsageError,
  type Command,
  type OptionSpecs,
} from "../cli/command";

const USAGE =
  "usage: npm run plan:diff -- --stack <stack> [--base <git-ref>] [--head <git-ref>] [--markdown]";

export interface PlanDiffArgs {
  readonly stack: string;
  /** Revision to compare from. @default origin/main if it exists, else HEAD */
  readonly base: string | undefined;
  /** Revision to compare to. @default the working tree */
  readonly head: string | undefined;
  readonly markdown: boolean;
}

export const PLAN_DIFF_OPTIONS: OptionSpecs = {
  stack: { type: "string", short: "s", value: "stack", description: "the stack to compare" },
  base: {
    type: "string",
    value: "git-ref",
    description: "revision to compare from (default: origin/main if it exists, else HEAD)",
  },
  head: {
    type: "string",
    value: "git-ref",
    description: "revision to compare to (default: the working tree)",
  },
  markdown: { type: "boolean", description: "render the diff as a pull-request comment" },
};

export function parsePlanDiffArgs(argv: readonly string[]): PlanDiffArgs {
  const line = parseCommandLine(argv, PLAN_DIFF_OPTIONS, USAGE, {
    messages: { unknown: (flag) => `unknown argument ${flag}` },
  });
  const stack = stringValue(line, "stack");
  if (stack === undefined) throw new UsageError(`--stack is required\n${USAGE}`);
  return {
    stack,
    base: stringValue(line, "base"),
    head: stringValue(line, "head"),
    markdown: flagValue(line, "markdown"),
  };
}

/** The plan of `stack` in the checkout at `dir`; an empty plan where the stack has no file. */
export async function planOf(dir: string, stack: string, label: string): Promise<PlanDocument> {
  if (!existsSync(join(dir, `Pulumi.${stack}.yaml`))) return emptyPlan(stack);
  if (planEntry(dir) === undefined) {
    throw new Error(
      `${label} has no offline plan (tools/cli.ts or tools/plan/cli.ts); pick a later revision`,
    );
  }
  try {
    return parsePlanDocument(await planJson(dir, stack), `the plan of ${label}`);
  } catch (e) {
    throw new Error(`${label}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function planAt(root: string, stack: string, ref: string | undefined): Promise<PlanDocument> {
  if (ref === undefined) return planOf(root, stack, "the working tree");
  return withRevision(root, ref, (dir, commit) =>
    planOf(dir, stack, `revision ${ref} (${commit.slice(0, 12)})`),
  );
}

export const planDiffCommand: Command = {
  path: ["plan", "diff"],
  summary: "what a change does to a stack's offline plan: create, update, replace, delete",
  options: PLAN_DIFF_OPTIONS,
  errorPrefix: "plan:diff failed",
  run: async (argv, io) => {
    const root = resolve(__dirname, "..", "..");
    const args = parsePlanDiffArgs(argv);
    const base = args.base ?? (await defaultBase(root));
    // Sequential: two plans at once would double the peak memory for no gain on small machines.
    const before = await planAt(root, args.stack, base);
    const after = await planAt(root, args.stack, args.head);
    const diff = diffPlans(before, after);
    io.stdout(args.markdown ? renderDiffMarkdown(diff) : renderDiffText(diff));
    return 0;
  },
};
