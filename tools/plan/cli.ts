/**
 * `npm run plan -- --stack <testing|staging|production> [--json]`: the program's plan for one stack,
 * computed offline from its real `Pulumi.<stack>.yaml` under Pulumi mocks, without CLI or cloud.
 */
import { resolve } from "node:path";
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
  return { stack, json, file };
}

async function main(): Promise<void> {
  const root = resolve(__dirname, "..", "..");
  const args = parsePlanArgs(process.argv.slice(2));
  const stackConfig = readStackFile(root, args.stack, args.file && resolve(args.file));
  for (const name of stackConfig.placeholderSecrets) {
    process.stderr.write(
      `note: secret ${name} is not set in Pulumi.${args.stack}.yaml; the plan stands in for it. ` +
        `Set it before pulumi up: pulumi config set --secret ${name} <value>\n`,
    );
  }
  const evaluation = await evaluateProgram(stackConfig, args.stack, () => import("../../index"));
  process.stdout.write(args.json ? renderPlanJson(evaluation) : renderPlanText(evaluation));
}

let failed = false;
/** The SDK rejects more than one promise for one program error: report the first, once. */
function fail(err: unknown): void {
  if (failed) return;
  failed = true;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`plan failed: ${message}\n`);
  process.exit(1);
}
process.on("unhandledRejection", fail);
main().catch(fail);
