/**
 * `ci-platform plan --stack <testing|staging|production> [--json]` (`npm run plan --`): the
 * program's plan for one stack, computed offline from its real `Pulumi.<stack>.yaml` under Pulumi
 * mocks, without CLI or cloud.
 */
import { resolve } from "node:path";
import { formatConfigIssues } from "../../components/config/format";
import type { ConfigIssue } from "../../components/config/types";
import type { PlanArgs } from "./cli-args";
import { evaluateProgram } from "../../lib/evaluate";
import { renderPlanJson, renderPlanText } from "../../lib/plan-render";
import { readStackFile } from "../../lib/stack-file";

/** Plans one stack and writes the plan, as text or with `--json` as the committed plans' JSON. */
export async function plan(args: PlanArgs, write: (text: string) => void): Promise<void> {
  const root = resolve(__dirname, "..", "..");
  const stackConfig = readStackFile(root, args.stack, args.file && resolve(args.file));
  const fileName = args.file ?? `Pulumi.${args.stack}.yaml`;
  planned = { project: stackConfig.project, stack: args.stack, file: fileName };
  for (const name of stackConfig.placeholderSecrets) {
    process.stderr.write(
      `note: secret ${name} is not set in ${fileName}; the plan stands in for it. ` +
        `Set it before pulumi up: pulumi config set --secret ${name} <value>\n`,
    );
  }
  const evaluation = await evaluateProgram(stackConfig, args.stack, () => import("../../index"));
  write(args.json ? renderPlanJson(evaluation) : renderPlanText(evaluation));
}

/** The stack file being planned, once read: a config error names it, as `--file` may replace it. */
let planned: { project: string; stack: string; file: string } | undefined;

/** An error of the plan as it reads: config issues name the stack file it read. */
export function messageOf(err: unknown): string {
  const issues = (err as { issues?: unknown } | undefined)?.issues;
  if (planned !== undefined && Array.isArray(issues))
    return formatConfigIssues(
      planned.project,
      planned.stack,
      issues as ConfigIssue[],
      planned.file,
    );
  return err instanceof Error ? err.message : String(err);
}
