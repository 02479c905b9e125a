/**
 * What every command of the one CLI (`tools/cli.ts`) is made of: its declared options, the one flag
 * parser (Node's `util.parseArgs`, strict) and the `--help` text generated from the declaration.
 *
 * Exit codes, the same for every command:
 *   0  ok
 *   1  findings: the command ran and found problems (policy violations, a service down, an SSH
 *      host that fails its check, a release whose tests failed)
 *   2  usage or tool error: an unknown command or flag, a missing value, a refused request, or a
 *      failure that kept the command from doing its work (no plan could be made, no file read)
 */
import { parseArgs } from "node:util";

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

/** One option a command accepts. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** One-line meaning, shown by `--help`. */
  readonly description: string;
  /** The value's placeholder in `--help` (`--stack <stack>`). @default "value" */
  readonly value?: string;
  /** A one-letter alias (`-s`). @default none */
  readonly short?: string;
  /** Whether the option may be given more than once. @default false */
  readonly multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** A command line that does not fit the command: always exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface Command {
  /** The words after the CLI's name: `["plan", "diff"]`. */
  readonly path: readonly string[];
  /** One line: what the command does. */
  readonly summary: string;
  /** Positional arguments in the usage line (`<service> <version>`). @default none */
  readonly positionals?: string;
  readonly options: OptionSpecs;
  /** Extra lines after the options in `--help` (examples, environment). @default none */
  readonly notes?: string;
  /** Prefix of an error message on stderr (`plan failed`); "" for none. @default the command's path */
  readonly errorPrefix?: string;
  /** How an error of this command reads. @default the error's message */
  readonly formatError?: (err: unknown) => string;
  /** Runs the command on its arguments (after the path); resolves to an exit code. */
  readonly run: (argv: readonly string[], io: CommandIo) => Promise<number>;
}

export interface ParseMessages {
  /** The message for an unknown option. @default `unknown option <flag>` */
  readonly unknown?: (flag: string) => string;
  /** The message for an option without its value. @default `<flag> needs a value` */
  readonly missingValue?: (flag: string) => string;
}

export interface ParsedLine {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` against `options` with `util.parseArgs` (strict). A problem throws a
 * `UsageError` naming the flag, followed by `usage`. An empty string value counts as missing.
 */
export function parseCommandLine(
  argv: readonly string[],
  options: OptionSpecs,
  usage: string,
  opts: { readonly positionals?: boolean; readonly messages?: ParseMessages } = {},
): ParsedLine {
  const unknown = opts.messages?.unknown ?? ((flag: string) => `unknown option ${flag}`);
  const missing = opts.messages?.missingValue ?? ((flag: string) => `${flag} needs a value`);
  // Every command takes --help (the CLI answers it before the command runs).
  const all: OptionSpecs = { help: { type: "boolean", short: "h", description: "" }, ...options };
  const config = Object.fromEntries(
    Object.entries(all).map(([name, o]) => [
      name,
      {
        type: o.type,
        ...(o.short === undefined ? {} : { short: o.short }),
        ...(o.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: config,
      strict: true,
      allowPositionals: opts.positionals ?? false,
    });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const message = err.message ?? String(e);
    const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
    const flag = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw usageError(unknown(flag), usage);
    if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      if (message.includes("does not take an argument"))
        throw usageError(`${flag} takes no value`, usage);
      throw usageError(missing(flag), usage);
    }
    if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
      throw usageError(`unexpected argument ${quoted}`, usage);
    throw e;
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === "" || (Array.isArray(value) && value.includes("")))
      throw usageError(missing(`--${name}`), usage);
  }
  return { values: parsed.values as ParsedLine["values"], positionals: parsed.positionals };
}

function usageError(message: string, usage: string): UsageError {
  return new UsageError(usage === "" ? message : `${message}\n${usage}`);
}

/** A string option's value, or undefined. */
export function stringValue(line: ParsedLine, name: string): string | undefined {
  const v = line.values[name];
  return typeof v === "string" ? v : undefined;
}

/** A repeatable string option's values. */
export function stringValues(line: ParsedLine, name: string): string[] {
  const v = line.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

/** A boolean option's value. */
export function flagValue(line: ParsedLine, name: string): boolean {
  return line.values[name] === true;
}

/** The name the CLI answers to: the package.json "bin" entry and `npm run cli --`. */
export const CLI_NAME = "ci-platform";

/** The one-line usage of a command, from its declaration. */
export function usageLine(command: Command): string {
  const hasOptions = Object.keys(command.options).length > 0;
  return [
    "usage:",
    CLI_NAME,
    ...command.path,
    ...(command.positionals === undefined ? [] : [command.positionals]),
    ...(hasOptions ? ["[options]"] : []),
  ].join(" ");
}

/** `--help` of one command: usage line, summary, every declared option, notes. */
export function commandHelp(command: Command): string {
  const rows: [string, string][] = Object.entries(command.options).map(([name, o]) => [
    `${o.short === undefined ? "    " : `-${o.short}, `}--${name}${o.type === "string" ? ` <${o.value ?? "value"}>` : ""}`,
    `${o.description}${o.multiple ? " (repeatable)" : ""}`,
  ]);
  rows.push(["-h, --help", "show this help"]);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    usageLine(command),
    "",
    command.summary,
    "",
    "options:",
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    ...(command.notes === undefined ? [] : ["", command.notes]),
    "",
  ].join("\n");
}
