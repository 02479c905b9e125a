/**
 * Every stack's plan passes the policy: the committed `plans/<stack>.json` when there is one (the
 * plans test keeps it equal to the program's plan), else the plan CLI's output.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { stackNames } from "../lib/stack-config";
import { parsePlanDocument, planFilePath, planJson } from "../lib/plan-files";
import { checkResources, formatViolations } from "./rules";

const ROOT = resolve(__dirname, "..");

describe("policy over the stacks' plans", () => {
  it.each(stackNames(ROOT))(
    "the %s stack violates no rule",
    async (stack) => {
      const file = planFilePath(ROOT, stack);
      const text = existsSync(file) ? readFileSync(file, "utf8") : await planJson(ROOT, stack);
      const plan = parsePlanDocument(text, existsSync(file) ? file : `the plan of ${stack}`);
      expect(plan.resources.length).toBeGreaterThan(0);
      const violations = checkResources(plan.resources);
      if (violations.length > 0) {
        throw new Error(
          `stack ${stack} has ${violations.length} policy violations:\n${formatViolations(violations)}`,
        );
      }
    },
    120_000,
  );
});
