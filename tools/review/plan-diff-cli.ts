/**
 * `npm run plan:diff -- --stack <stack> [--base <git-ref>] [--head <git-ref>] [--markdown]`: what a
 * change does to a stack's offline plan. The base defaults to `origin/main` when it exists, else
 * `HEAD`; the head defaults to the working tree. Prints only what changes, grouped as create,
 * update, replace and delete, summary line first; `--markdown` renders it as a pull-request comment.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderDiffMarkdown, renderDiffText } from "./diff-render";
import { diffPlans } from "../../lib/plan-diff";
import { emptyPlan, parsePlanDocument, planJson, type PlanDocument } from "../../lib/plan-files";
import { defaultBase, withRevision } from "./revision";

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

export function parsePlanDiffArgs(argv: readonly string[]): PlanDiffArgs {
  let stack: string | undefined;
  let base: string | undefined;
  let head: string | undefined;
  let markdown = false;
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--stack" || arg === "-s") stack = value(++i, "--stack");
    else if (arg === "--base") base = value(++i, "--base");
    else if (arg === "--head") head = value(++i, "--head");
    else if (arg === "--markdown") markdown = true;
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (stack === undefined) throw new Error(`--stack is required\n${USAGE}`);
  return { stack, base, head, markdown };
}

/** The plan of `stack` in the checkout at `dir`; an empty plan where the stack has no file. */
export async function planOf(dir: string, stack: string, label: string): Promise<PlanDocument> {
  if (!existsSync(join(dir, `Pulumi.${stack}.yaml`))) return emptyPlan(stack);
  if (!existsSync(join(dir, "tools", "plan", "cli.ts"))) {
    throw new Error(`${label} has no offline plan (tools/plan/cli.ts); pick a later revision`);
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

async function main(): Promise<void> {
  const root = resolve(__dirname, "..", "..");
  const args = parsePlanDiffArgs(process.argv.slice(2));
  const base = args.base ?? (await defaultBase(root));
  // Sequential: two plans at once would double the peak memory for no gain on small machines.
  const before = await planAt(root, args.stack, base);
  const after = await planAt(root, args.stack, args.head);
  const diff = diffPlans(before, after);
  process.stdout.write(args.markdown ? renderDiffMarkdown(diff) : renderDiffText(diff));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`plan:diff failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
