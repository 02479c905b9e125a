/**
 * `ci-platform policy [--stack <stack>]... [--plan <file.json>]...` (`npm run policy --`): runs the
 * policy rules (`policy/rules.ts`) over offline plans (the plan CLI's `--json`, one process per
 * stack) and exits non-zero listing every violation. Without `--stack` or `--plan` it checks every
 * stack. Exit codes: 0 no violation, 1 violations (listed on stdout), 2 a plan could not be made or
 * read.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { checkResources, formatViolations, type Violation } from "../../policy/rules";
import { stackNames } from "../../lib/stack-config";
import { parsePlanDocument, planJson, type PlanDocument } from "../../lib/plan-files";
import {
  EXIT_FINDINGS,
  EXIT_OK,
  parseCommandLine,
  stringValues,
  type Command,
  type OptionSpecs,
} from "../cli/command";

const USAGE = "usage: npm run policy -- [--stack <stack>]... [--plan <plan.json>]...";

export interface PolicyArgs {
  readonly stacks: readonly string[];
  readonly planFiles: readonly string[];
}

export const POLICY_OPTIONS: OptionSpecs = {
  stack: {
    type: "string",
    value: "stack",
    multiple: true,
    description: "a stack to plan and check (default: every stack, unless --plan is given)",
  },
  plan: {
    type: "string",
    value: "plan.json",
    multiple: true,
    description: "a plan file (the plan command's --json) to check",
  },
};

export function parsePolicyArgs(argv: readonly string[]): PolicyArgs {
  const line = parseCommandLine(argv, POLICY_OPTIONS, USAGE, {
    messages: { unknown: (flag) => `unknown argument ${flag}` },
  });
  return { stacks: stringValues(line, "stack"), planFiles: stringValues(line, "plan") };
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

export const policyCommand: Command = {
  path: ["policy"],
  summary: "checks the offline plans against the policy rules; exit 1 lists every violation",
  options: POLICY_OPTIONS,
  errorPrefix: "policy failed",
  run: async (argv, io) => {
    const root = resolve(__dirname, "..", "..");
    const args = parsePolicyArgs(argv);
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
      io.stdout(`${report}\n`);
      if (violations.length > 0) failed = true;
    }
    return failed ? EXIT_FINDINGS : EXIT_OK;
  },
};
