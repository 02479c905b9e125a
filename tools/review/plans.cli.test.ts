/**
 * The committed offline plans are the program's plans: a change to the program or a stack file
 * that changes a plan must commit the new plan with it, so review sees the infrastructure change.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { stackNames } from "../../lib/stack-config";
import { renderDiffText } from "./diff-render";
import { diffPlans, hasChanges } from "../../lib/plan-diff";
import { parsePlanDocument, planFilePath, planJson, PLANS_DIR } from "../../lib/plan-files";

const ROOT = resolve(__dirname, "..", "..");
const FIX = "run `npm run plan:update` and commit plans/";

/** Why a committed plan differs from the program's, naming the resources and inputs. */
function explainStalePlan(stack: string, committed: string, current: string): string {
  const diff = diffPlans(
    parsePlanDocument(committed, `plans/${stack}.json`),
    parsePlanDocument(current, `the plan of ${stack}`),
  );
  const detail = hasChanges(diff)
    ? renderDiffText(diff)
    : "The plans hold the same resources and values; only their order or formatting differs.\n";
  return `plans/${stack}.json is not the program's plan of ${stack}; ${FIX}.\nCommitted → now:\n${detail}`;
}

describe("committed plans", () => {
  it.each(stackNames(ROOT))(
    "plans/%s.json is the plan CLI's output for the stack",
    async (stack) => {
      const current = await planJson(ROOT, stack);
      const path = planFilePath(ROOT, stack);
      if (!existsSync(path)) throw new Error(`plans/${stack}.json is missing; ${FIX}`);
      const committed = readFileSync(path, "utf8");
      if (committed !== current) throw new Error(explainStalePlan(stack, committed, current));
    },
    120_000,
  );

  it("has no plan of a stack that has no stack file", () => {
    const dir = join(ROOT, PLANS_DIR);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
    const stacks = stackNames(ROOT);
    expect(files.filter((f) => !stacks.includes(f.slice(0, -".json".length)))).toEqual([]);
  });

  it("explains a stale plan by resource and input", () => {
    const plan = (image: string): string =>
      JSON.stringify({
        stack: "staging",
        resources: [
          {
            type: "docker:index/container:Container",
            name: "api",
            parent: null,
            provider: null,
            protect: false,
            retainOnDelete: false,
            deleteBeforeReplace: false,
            inputs: { image },
          },
        ],
        outputs: {},
      });
    expect(explainStalePlan("staging", plan("api:1"), plan("api:2"))).toBe(
      [
        "plans/staging.json is not the program's plan of staging; run `npm run plan:update` and commit plans/.",
        "Committed → now:",
        "Plan diff of stack staging: +0 ~0 ±1 -0",
        "",
        "Replace (1):",
        "  ± docker:index/container:Container api  [replaced because inputs.image changed]",
        '      inputs.image: "api:1" → "api:2"',
        "",
      ].join("\n"),
    );
    expect(explainStalePlan("staging", plan("api:1"), `${plan("api:1")}\n`)).toContain(
      "only their order or formatting differs",
    );
  });
});
