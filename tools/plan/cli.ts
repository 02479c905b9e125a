/**
 * `npm run plan -- --stack <testing|staging|production> [--json]`: the program's plan for one stack,
 * computed offline from its real `Pulumi.<stack>.yaml` under Pulumi mocks, without CLI or cloud.
 */
import { resolve } from "node:path";
import { formatConfigIssues } from "../../components/config/format";
import { isStackName, STACK_NAME_RULE } from "../../components/config/names";
import type { ConfigIssue } from "../../components/config/types";
import { evaluateProgram } from "./evaluate";
import { renderPlanJson, renderPlanText } from "./render";
import { readStackFile } from "./stack-file";

const USAGE =
  "usage: npm run plan -- --stack <testing|staging|production> [--json] [--file <stack yaml>]";

interface PlanArgs {
  readonly stack: string;
  readonly json: boolean;
  /** A stack file to read instead of `Pulumi.<stack>.yaml`. */
  readonly file: string | undefined;
}

export function parsePlanArgs(argv: readonly string[]): PlanArgs {
  let stack: string | undefined;
  let json = false;
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") json = true;
    else if (arg === "--stack" || arg === "-s") stack = argv[++i];
    else if (arg?.startsWith("--stack=")) stack = arg.slice("--stack=".length);
    else if (arg === "--file") file = argv[++i];
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (!stack) throw new Error(`--stack is required\n${USAGE}`);
  // The name becomes a file name and the first part of every container name.
  if (!isStackName(stack))
    throw new Error(
      `stack name ${JSON.stringify(stack.slice(0, 100))} is not one Pulumi accepts; ${STACK_NAME_RULE}`,
    );
  return { stack, json, file };
}

async function main(): Promise<void> {
  const root = resolve(__dirname, "..", "..");
  const args = parsePlanArgs(process.argv.slice(2));
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
  process.stdout.write(args.json ? renderPlanJson(evaluation) : renderPlanText(evaluation));
}

/** The stack file being planned, once read: a config error names it, as `--file` may replace it. */
let planned: { project: string; stack: string; file: string } | undefined;

function messageOf(err: unknown): string {
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

let failed = false;
/** The SDK rejects more than one promise for one program error: report the first, once. */
function fail(err: unknown): void {
  if (failed) return;
  failed = true;
  const message = messageOf(err);
  process.stderr.write(`plan failed: ${message}\n`);
  process.exit(1);
}
process.on("unhandledRejection", fail);
main().catch(fail);
