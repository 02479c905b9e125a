/**
 * `npm run policy -- [--stack <stack>]... [--plan <file.json>]`: runs the policy rules
 * (`policy/rules.ts`) over offline plans (the plan CLI's `--json`, one process per stack) and exits
 * non-zero listing every violation. Without `--stack` or `--plan` it checks every stack.
 * Exit codes: 0 no violation, 1 violations (listed on stdout), 2 a plan could not be made or read.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { checkResources, formatViolations, type Violation } from "../../policy/rules";
import { stackNames } from "../../lib/stack-config";
import { parsePlanDocument, planJson, type PlanDocument } from "../../lib/plan-files";

const USAGE = "usage: npm run policy -- [--stack <stack>]... [--plan <plan.json>]...";

export interface PolicyArgs {
  readonly stacks: readonly string[];
  readonly planFiles: readonly string[];
}

export function parsePolicyArgs(argv: readonly string[]): PolicyArgs {
  const stacks: string[] = [];
  const planFiles: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if ((arg === "--stack" || arg === "--plan") && (value === undefined || value.startsWith("-"))) {
      throw new Error(`${arg} needs a value\n${USAGE}`);
    }
    if (arg === "--stack") stacks.push(argv[++i]!);
    else if (arg === "--plan") planFiles.push(argv[++i]!);
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return { stacks, planFiles };
}

/** The violations of one plan, and the report line(s) for it. */
export function checkPlan(plan: PlanDocument): { violations: Violation[]; report: string } {
  const violations = checkResources(plan.resources);
  const report =
    violations.length === 0
      ? `policy: stack ${plan.stack} passes (${plan.resources.length} resources)`
      : `policy: stack ${plan.stack} has ${violations.length} violation${violations.length === 1 ? "" : "s"}:\n${formatViolations(violations)}`;
  return { violations, report };
}

async function main(): Promise<void> {
  const root = resolve(__dirname, "..", "..");
  const args = parsePolicyArgs(process.argv.slice(2));
  const stacks =
    args.stacks.length === 0 && args.planFiles.length === 0 ? stackNames(root) : args.stacks;
  const plans = [
    ...(await Promise.all(
      stacks.map(async (s) => parsePlanDocument(await planJson(root, s), `the plan of ${s}`)),
    )),
    ...args.planFiles.map((f) => parsePlanDocument(readFileSync(f, "utf8"), f)),
  ];
  let failed = false;
  for (const plan of plans) {
    const { violations, report } = checkPlan(plan);
    process.stdout.write(`${report}\n`);
    if (violations.length > 0) failed = true;
  }
  if (failed) process.exit(1);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`policy failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
