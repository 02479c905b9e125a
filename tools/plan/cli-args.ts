/** The plan command's arguments. */
import { isStackName, STACK_NAME_RULE } from "../../components/model/names";
import {
  flagValue,
  parseCommandLine,
  stringValue,
  UsageError,
  type OptionSpecs,
} from "../cli/command";

const USAGE =
  "usage: npm run plan -- --stack <testing|staging|production> [--json] [--file <stack yaml>]";

export const PLAN_OPTIONS: OptionSpecs = {
  stack: { type: "string", short: "s", value: "stack", description: "the stack to plan" },
  json: { type: "boolean", description: "print one JSON document (the committed plans' format)" },
  file: {
    type: "string",
    value: "stack yaml",
    description: "a stack file to read instead of Pulumi.<stack>.yaml",
  },
};

export interface PlanArgs {
  readonly stack: string;
  readonly json: boolean;
  /** A stack file to read instead of `Pulumi.<stack>.yaml`. */
  readonly file: string | undefined;
}

export function parsePlanArgs(argv: readonly string[]): PlanArgs {
  const line = parseCommandLine(argv, PLAN_OPTIONS, USAGE, {
    messages: { unknown: (flag) => `unknown argument ${flag}` },
  });
  const stack = stringValue(line, "stack");
  if (!stack) throw new UsageError(`--stack is required\n${USAGE}`);
  // The name becomes a file name and the first part of every container name.
  if (!isStackName(stack))
    throw new UsageError(
      `stack name ${JSON.stringify(stack.slice(0, 100))} is not one Pulumi accepts; ${STACK_NAME_RULE}`,
    );
  return { stack, json: flagValue(line, "json"), file: stringValue(line, "file") };
}
