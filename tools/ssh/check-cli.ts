/**
 * `ci-platform ssh-check --stack <stack> [--host <ci host>] [--root <dir>]` (`npm run ssh-check
 * --`): checks that every SSH CI host of the stack (or the one named) takes a non-interactive login
 * from this machine and that its deploy user reaches Docker there. Run it before `pulumi up` on a
 * new host, and again after fixing whatever it reports. Exits 1 when any host fails.
 */
import { resolve } from "node:path";
import { validatedStackConfig } from "../../lib/stack-config";
import { checkSsh, describeTarget, sshTarget, type SshTarget } from "./preflight";
import {
  EXIT_FINDINGS,
  EXIT_OK,
  parseCommandLine,
  stringValue,
  UsageError,
  type Command,
  type OptionSpecs,
} from "../cli/command";

export const USAGE =
  "usage: npm run ssh-check -- --stack <stack> [--host <ci host>] [--root <dir>]";

export interface SshCheckArgs {
  readonly stack: string;
  readonly host: string | undefined;
  readonly root: string | undefined;
}

export const SSH_CHECK_OPTIONS: OptionSpecs = {
  stack: { type: "string", value: "stack", description: "the stack whose SSH CI hosts to check" },
  host: { type: "string", value: "ci host", description: "check only this CI host" },
  root: {
    type: "string",
    value: "dir",
    description: "the project root holding Pulumi.<stack>.yaml (default: this repository)",
  },
};

export function parseSshCheckArgs(argv: readonly string[]): SshCheckArgs {
  const line = parseCommandLine(argv, SSH_CHECK_OPTIONS, USAGE, {
    messages: { unknown: (flag) => `${flag} is not an option of ssh-check` },
  });
  const stack = stringValue(line, "stack");
  if (stack === undefined) throw new UsageError(`--stack is required\n${USAGE}`);
  return { stack, host: stringValue(line, "host"), root: stringValue(line, "root") };
}

/** The SSH targets to check; fails naming the hosts when `--host` is not one of them. */
export function targetsOf(
  hosts: readonly Parameters<typeof sshTarget>[0][],
  stack: string,
  only: string | undefined,
): SshTarget[] {
  if (only !== undefined && !hosts.some((h) => h.name === only))
    throw new Error(
      `${only} is not a CI host of ${stack}; use one of ${hosts.map((h) => h.name).join(", ")}`,
    );
  return hosts
    .filter((h) => only === undefined || h.name === only)
    .map(sshTarget)
    .filter((t): t is SshTarget => t !== undefined);
}

export async function sshCheck(
  argv: readonly string[],
  defaultRoot: string,
): Promise<{ ok: boolean; lines: string[] }> {
  const args = parseSshCheckArgs(argv);
  const config = validatedStackConfig(resolve(args.root ?? defaultRoot), args.stack);
  const targets = targetsOf(config.ciHosts, config.stack, args.host);
  if (targets.length === 0)
    return {
      ok: true,
      lines: [
        `${config.stack} has no SSH CI host to check (its engines are local unix:// sockets)`,
      ],
    };
  const results = await Promise.all(targets.map(checkSsh));
  const lines = results.map((r) =>
    r.problem === undefined
      ? `ok: ${describeTarget(r.target)} logs in and reaches Docker ${r.dockerVersion} (${r.seconds.toFixed(1)} s)`
      : `FAILED: ${r.problem}`,
  );
  const ok = results.every((r) => r.problem === undefined);
  if (!ok)
    lines.push(
      `fix the above, then rerun: npm run ssh-check -- --stack ${config.stack}; nothing was changed on any host`,
    );
  return { ok, lines };
}

export const sshCheckCommand: Command = {
  path: ["ssh-check"],
  summary: "checks that a stack's SSH CI hosts log in and reach Docker (exit 1 if not)",
  options: SSH_CHECK_OPTIONS,
  errorPrefix: "ssh-check refused",
  run: async (argv, io) => {
    const result = await sshCheck(argv, resolve(__dirname, "..", ".."));
    for (const line of result.lines) io.stdout(`${line}\n`);
    return result.ok ? EXIT_OK : EXIT_FINDINGS;
  },
};
