/**
 * `ci-platform plan update` (`npm run plan:update`): regenerates `plans/<stack>.json` for every
 * stack, each exactly the output of `npm run plan -- --stack <stack> --json`, and removes plan
 * files of stacks that no longer exist. Commit the result with the change that caused it; the plans
 * test compares them with the program.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stackNames } from "../../lib/stack-config";
import { renderDiffText } from "./diff-render";
import { diffPlans } from "../../lib/plan-diff";
import { parseCommandLine, type Command } from "../cli/command";
import { parsePlanDocument, planFilePath, planJson, PLANS_DIR } from "../../lib/plan-files";

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

async function planUpdate(write: (text: string) => void): Promise<void> {
  const root = resolve(__dirname, "..", "..");
  const stacks = stackNames(root);
  // One process per stack (the Pulumi runtime is global to a process); they run side by side.
  const plans = await Promise.all(stacks.map((stack) => planJson(root, stack)));
  mkdirSync(join(root, PLANS_DIR), { recursive: true });
  stacks.forEach((stack, i) => {
    const path = planFilePath(root, stack);
    const next = plans[i]!;
    const previous = readIfExists(path);
    if (previous === next) {
      write(`plans/${stack}.json is up to date\n`);
      return;
    }
    writeFileSync(path, next);
    const after = parsePlanDocument(next, `the plan of ${stack}`);
    if (previous === undefined) {
      write(`wrote plans/${stack}.json (new: ${after.resources.length} resources)\n`);
      return;
    }
    const diff = diffPlans(parsePlanDocument(previous, `plans/${stack}.json`), after);
    write(`wrote plans/${stack}.json\n${renderDiffText(diff)}`);
  });
  for (const file of readdirSync(join(root, PLANS_DIR))) {
    const stack = /^(.+)\.json$/.exec(file)?.[1];
    if (stack !== undefined && !stacks.includes(stack)) {
      rmSync(join(root, PLANS_DIR, file));
      write(`removed plans/${file}: there is no Pulumi.${stack}.yaml\n`);
    }
  }
}

export const planUpdateCommand: Command = {
  path: ["plan", "update"],
  summary: "regenerates plans/<stack>.json for every stack and prints what changed",
  options: {},
  errorPrefix: "plan:update failed",
  run: async (argv, io) => {
    parseCommandLine(argv, {}, "usage: npm run plan:update");
    await planUpdate(io.stdout);
    return 0;
  },
};
