/**
 * The committed offline plans (`plans/<stack>.json`) and the one way to compute a plan: spawn the
 * plan command (`tools/cli.ts plan --json`) in a project checkout. The Pulumi runtime is global to
 * a process, so every plan is its own process.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "./process";

/** One resource of a `--json` plan, exactly as `renderPlanJson` writes it. */
export interface PlanResource {
  readonly type: string;
  readonly name: string;
  /** Parent's `type::name`, or null for the stack's own children. */
  readonly parent: string | null;
  /** Explicit provider's name, or null for the default provider. */
  readonly provider: string | null;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  /** Inputs an `up` keeps as created. @default none */
  readonly ignoreChanges?: readonly string[];
  /** Resolved inputs; secrets are the string "[secret]". */
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** A `--json` plan document. */
export interface PlanDocument {
  readonly stack: string;
  readonly resources: readonly PlanResource[];
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** The plan of a stack that does not exist (yet, or any more): nothing to create or keep. */
export function emptyPlan(stack: string): PlanDocument {
  return { stack, resources: [], outputs: {} };
}

/** The directory of the committed plans, relative to the project root. */
export const PLANS_DIR = "plans";

export function planFilePath(root: string, stack: string): string {
  return join(root, PLANS_DIR, `${stack}.json`);
}

/** Parses a `--json` plan, checking the shape the review tools rely on; `source` names it in errors. */
export function parsePlanDocument(text: string, source: string): PlanDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const record = doc as Partial<Record<keyof PlanDocument, unknown>> | null;
  if (
    typeof record !== "object" ||
    record === null ||
    typeof record.stack !== "string" ||
    !Array.isArray(record.resources) ||
    typeof record.outputs !== "object" ||
    record.outputs === null
  ) {
    throw new Error(`${source} is not a plan document ({stack, resources, outputs})`);
  }
  record.resources.forEach((r: unknown, i) => {
    const res = r as Partial<Record<keyof PlanResource, unknown>> | null;
    if (
      typeof res !== "object" ||
      res === null ||
      typeof res.type !== "string" ||
      typeof res.name !== "string" ||
      typeof res.inputs !== "object" ||
      res.inputs === null
    ) {
      throw new Error(`${source}: resources[${i}] has no type, name and inputs`);
    }
  });
  return doc as PlanDocument;
}

export interface PlanCliOptions {
  /** Kill the plan CLI after this long. @default 120_000 */
  readonly timeoutMs?: number;
}

/**
 * The arguments (after `node --import tsx`) that plan a stack in the checkout at `root`, up to the
 * stack's flags: the one CLI's `plan` command, or in a revision from before it, the plan CLI of
 * its own (`tools/plan/cli.ts`). Undefined when the checkout has neither.
 */
export function planEntry(root: string): string[] | undefined {
  const cli = join(root, "tools", "cli.ts");
  if (existsSync(cli)) return [cli, "plan"];
  const old = join(root, "tools", "plan", "cli.ts");
  return existsSync(old) ? [old] : undefined;
}

/**
 * Runs the plan command (`planEntry`) with `--stack <stack> --json` in the checkout at `root` and
 * returns its stdout unchanged (the bytes a committed plan file holds). Rejects with its stderr on
 * failure.
 */
export async function planJson(
  root: string,
  stack: string,
  options: PlanCliOptions = {},
): Promise<string> {
  const result = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      ...(planEntry(root) ?? [join(root, "tools", "cli.ts"), "plan"]),
      "--stack",
      stack,
      "--json",
    ],
    { cwd: root, timeoutMs: options.timeoutMs ?? 120_000 },
  );
  if (result.code !== 0) {
    const detail = result.stderr
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("note: "))
      .join("\n");
    throw new Error(`the plan of stack ${stack} failed (exit ${result.code}):\n${detail}`);
  }
  return result.stdout;
}
