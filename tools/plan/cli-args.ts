/** The plan command's arguments. */
import { isStackName, STACK_NAME_RULE } from "../../components/model/names";

const USAGE =
  "usage: npm run plan -- --stack <testing|staging|production> [--json] [--file <stack yaml>]";

export interface PlanArgs {
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
