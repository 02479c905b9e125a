/**
 * Where the endpoints come from, in order: `--file`; the stack's real outputs from the Pulumi CLI,
 * when it is installed; the offline plan's outputs (`tools/plan/cli.ts --json`), which need
 * neither the CLI nor a state backend.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { SERVICE_CATALOG } from "../../components/catalog/catalog";
import { run } from "../../lib/process";
import { endpointsFromDocument, type Endpoint } from "./endpoints";

export interface EndpointSource {
  readonly endpoints: readonly Endpoint[];
  /** Where they came from, for the report: `file x.json`, `pulumi stack output`, `offline plan`. */
  readonly from: string;
}

const ROOT = resolve(__dirname, "..", "..");

export interface LoadOptions {
  readonly stack: string | undefined;
  readonly file: string | undefined;
  /** Called with a note for stderr (a fallback taken). @default ignored */
  readonly note?: (message: string) => void;
}

export async function loadEndpoints(options: LoadOptions): Promise<EndpointSource> {
  const note = options.note ?? (() => undefined);
  if (options.file !== undefined) {
    return {
      endpoints: fromJson(readText(options.file), options.file),
      from: `file ${options.file}`,
    };
  }
  const stack = options.stack;
  if (stack === undefined) throw new Error("--stack is required (or --file)");
  if (await pulumiInstalled()) {
    const r = await run("pulumi", ["stack", "output", "--json", "--stack", stack], {
      timeoutMs: 60_000,
      cwd: ROOT,
    });
    if (r.code === 0) {
      return { endpoints: fromJson(r.stdout, "pulumi stack output"), from: "pulumi stack output" };
    }
    note(
      `pulumi stack output --stack ${stack} failed (exit ${r.code}: ${firstLine(r.stderr)}); ` +
        "using the offline plan's outputs instead",
    );
  }
  const plan = await run(
    process.execPath,
    [
      "--stack-trace-limit=0",
      "--import",
      "tsx",
      "tools/cli.ts",
      "plan",
      "--stack",
      stack,
      "--json",
    ],
    { timeoutMs: 180_000, cwd: ROOT },
  );
  if (plan.code !== 0) {
    throw new Error(`the offline plan of stack ${stack} failed: ${plan.stderr.trim()}`);
  }
  return { endpoints: fromJson(plan.stdout, "the offline plan"), from: "offline plan" };
}

async function pulumiInstalled(): Promise<boolean> {
  const r = await run("sh", ["-c", "command -v pulumi"], { timeoutMs: 10_000 });
  return r.code === 0 && r.stdout.trim() !== "";
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read --file ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function fromJson(text: string, what: string): Endpoint[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return endpointsFromDocument(doc, SERVICE_CATALOG);
  } catch (e) {
    throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
