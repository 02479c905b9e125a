/**
 * The one command-line tool of ci-platform: `npm run cli -- <command> [options]`, or
 * `ci-platform <command>` where the package is installed (package.json "bin"). The npm scripts
 * `plan`, `plan:diff`, `policy`, `release`, ... are aliases of its commands.
 *
 * One flag parser (`util.parseArgs`, strict, with the options each command declares: see
 * tools/cli/command.ts), `--help` on the CLI and on every command, and one exit-code rule:
 *   0 ok, 1 findings (the command ran and found problems), 2 usage or tool error.
 */
import {
  CLI_NAME,
  commandHelp,
  EXIT_ERROR,
  type Command,
  type CommandIo,
  UsageError,
} from "./cli/command";
import { COMMANDS } from "./cli/commands";

/** The command `argv` names (the longest path that matches) and the arguments after it. */
export function findCommand(
  argv: readonly string[],
  commands: readonly Command[] = COMMANDS,
): { command: Command; rest: readonly string[] } | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.every((word, i) => argv[i] === word) && c.path.length > (best?.path.length ?? 0))
      best = c;
  }
  return best && { command: best, rest: argv.slice(best.path.length) };
}

/** `--help` of the CLI itself: every command and its one-line summary. */
export function cliHelp(commands: readonly Command[] = COMMANDS): string {
  const names = commands.map((c) => c.path.join(" "));
  const width = Math.max(...names.map((n) => n.length));
  return [
    `usage: ${CLI_NAME} <command> [options]   (npm run cli -- <command> [options])`,
    "",
    "commands:",
    ...commands.map((c, i) => `  ${names[i]!.padEnd(width)}  ${c.summary}`),
    "",
    `${CLI_NAME} <command> --help shows a command's options.`,
    "exit codes: 0 ok, 1 findings (the command found problems), 2 usage or tool error",
    "",
  ].join("\n");
}

/** Whether the arguments ask for help (before any `--`). */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The line an error of `command` prints on stderr. */
export function errorLine(command: Command, err: unknown): string {
  const text =
    command.formatError && !(err instanceof UsageError) ? command.formatError(err) : message(err);
  const prefix = command.errorPrefix ?? command.path.join(" ");
  return prefix === "" ? `${text}\n` : `${prefix}: ${text}\n`;
}

export interface CliHooks {
  /** Learns the command before it runs (the entry point reports its stray rejections). */
  readonly onCommand?: (command: Command) => void;
  /** Reports a command's failure. @default written to stderr */
  readonly onError?: (text: string) => void;
}

/** Runs the CLI on `argv` (after the program name) and resolves to its exit code; never rejects. */
export async function runCli(
  argv: readonly string[],
  io: CommandIo,
  hooks: CliHooks = {},
): Promise<number> {
  const found = findCommand(argv);
  if (found === undefined) {
    if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
      (argv.length === 0 ? io.stderr : io.stdout)(cliHelp());
      return argv.length === 0 ? EXIT_ERROR : 0;
    }
    const group = COMMANDS.filter((c) => c.path[0] === argv[0]).map((c) => c.path.join(" "));
    const what =
      group.length > 0
        ? `${argv.slice(0, 2).join(" ")}; use one of ${group.join(", ")}`
        : `${argv[0]!}; run ${CLI_NAME} --help for the commands`;
    io.stderr(`${CLI_NAME}: unknown command ${what}\n`);
    return EXIT_ERROR;
  }
  const { command, rest } = found;
  if (wantsHelp(rest)) {
    io.stdout(commandHelp(command));
    return 0;
  }
  hooks.onCommand?.(command);
  try {
    return await command.run(rest, io);
  } catch (err) {
    (hooks.onError ?? io.stderr)(errorLine(command, err));
    return EXIT_ERROR;
  }
}

/** The process's entry: runs the CLI on `process.argv` and sets the exit code. */
export function main(): void {
  const io: CommandIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
  let current: Command | undefined;
  let failed = false;
  /** The first failure ends the process; later rejections of the same error are not repeated. */
  const fail = (text: string): void => {
    if (failed) return;
    failed = true;
    io.stderr(text);
    process.exit(EXIT_ERROR);
  };
  // The plan runs the Pulumi program in this process, and the SDK may reject more than one
  // promise for one program error: report the first, once.
  process.on("unhandledRejection", (err) => {
    fail(current ? errorLine(current, err) : `${CLI_NAME}: ${message(err)}\n`);
  });
  void runCli(process.argv.slice(2), io, {
    onCommand: (c) => {
      current = c;
    },
    onError: fail,
  }).then((code) => {
    if (!failed) process.exitCode = code;
  });
}

if (require.main === module) main();
