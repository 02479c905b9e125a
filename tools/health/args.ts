/** The health CLI's command line. Pure: no I/O. */
import {
  flagValue,
  parseCommandLine,
  stringValue,
  UsageError,
  type OptionSpecs,
} from "../cli/command";
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from "./probe";

export const DEFAULT_INTERVAL_MS = 5000;
export const DEFAULT_HISTORY_SIZE = 20;

export const USAGE = [
  "usage: npm run health -- --stack <testing|staging|production> [--file <endpoints.json>]",
  "         [--timeout-ms N] [--concurrency N] [--json]",
  "         [--serve <port> [--interval-ms N] [--history N]]",
  "",
  '  --file          endpoints to probe instead of the stack\'s: { "<service>": "<url>" } or stack outputs',
  `  --timeout-ms    per-probe timeout (default ${DEFAULT_TIMEOUT_MS})`,
  `  --concurrency   probes in flight at once (default ${DEFAULT_CONCURRENCY})`,
  "  --json          print the results as JSON instead of a table",
  "  --serve         serve a dashboard on http://127.0.0.1:<port>/ (0 picks a free port)",
  `  --interval-ms   dashboard probe interval (default ${DEFAULT_INTERVAL_MS})`,
  `  --history       probes kept per service on the dashboard (default ${DEFAULT_HISTORY_SIZE})`,
].join("\n");

export interface HealthArgs {
  /** Stack whose endpoints are probed; only a label when `file` is given. */
  readonly stack: string | undefined;
  readonly file: string | undefined;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly json: boolean;
  /** Port to serve the dashboard on; undefined for a single probe round. */
  readonly serve: number | undefined;
  readonly intervalMs: number;
  readonly historySize: number;
  readonly help: boolean;
}

export const HEALTH_OPTIONS: OptionSpecs = {
  stack: { type: "string", short: "s", value: "stack", description: "the stack to probe" },
  file: {
    type: "string",
    value: "endpoints.json",
    description:
      'endpoints to probe instead of the stack\'s: { "<service>": "<url>" } or stack outputs',
  },
  "timeout-ms": {
    type: "string",
    value: "N",
    description: `per-probe timeout (default ${DEFAULT_TIMEOUT_MS})`,
  },
  concurrency: {
    type: "string",
    value: "N",
    description: `probes in flight at once (default ${DEFAULT_CONCURRENCY})`,
  },
  json: { type: "boolean", description: "print the results as JSON instead of a table" },
  serve: {
    type: "string",
    value: "port",
    description: "serve a dashboard on http://127.0.0.1:<port>/ (0 picks a free port)",
  },
  "interval-ms": {
    type: "string",
    value: "N",
    description: `dashboard probe interval (default ${DEFAULT_INTERVAL_MS})`,
  },
  history: {
    type: "string",
    value: "N",
    description: `probes kept per service on the dashboard (default ${DEFAULT_HISTORY_SIZE})`,
  },
};

/** Parses argv (after the script name); throws with the flag, the bad value and the usage. */
export function parseHealthArgs(argv: readonly string[]): HealthArgs {
  const line = parseCommandLine(argv, HEALTH_OPTIONS, USAGE, {
    messages: { unknown: (flag) => `unknown argument ${flag}` },
  });
  const values = new Map<string, string>();
  for (const name of Object.keys(HEALTH_OPTIONS)) {
    const value = stringValue(line, name);
    if (value !== undefined) values.set(`--${name}`, value);
  }
  const json = flagValue(line, "json");
  const help = flagValue(line, "help");
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const raw = values.get(flag);
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw usageError(
        `${flag} ${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`,
      );
    }
    return n;
  };
  const args: HealthArgs = {
    stack: values.get("--stack"),
    file: values.get("--file"),
    timeoutMs: int("--timeout-ms", DEFAULT_TIMEOUT_MS, 1, 600_000),
    concurrency: int("--concurrency", DEFAULT_CONCURRENCY, 1, 256),
    json,
    serve: values.has("--serve") ? int("--serve", 0, 0, 65_535) : undefined,
    intervalMs: int("--interval-ms", DEFAULT_INTERVAL_MS, 100, 3_600_000),
    historySize: int("--history", DEFAULT_HISTORY_SIZE, 1, 1000),
    help,
  };
  if (help) return args;
  if (args.stack === undefined && args.file === undefined) {
    throw usageError("--stack is required (or --file)");
  }
  if (args.serve !== undefined && json) {
    throw usageError("--json prints one round; it does not combine with --serve (use /api/status)");
  }
  if (args.serve === undefined) {
    for (const flag of ["--interval-ms", "--history"]) {
      if (values.has(flag)) throw usageError(`${flag} only applies with --serve`);
    }
  }
  return args;
}

function usageError(message: string): Error {
  return new UsageError(`${message}\n${USAGE}`);
}
