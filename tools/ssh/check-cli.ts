/**
 * `npm run ssh-check -- --stack <stack> [--host <ci host>] [--root <dir>]`: checks that every SSH
 * CI host of the stack (or the one named) takes a non-interactive login from this machine and
 * that its deploy user reaches Docker there. Run it before `pulumi up` on a new host, and again
 * after fixing whatever it reports. Exits 1 when any host fails.
 */
import { resolve } from "node:path";
import { validatedStackConfig } from "../../lib/stack-config";
import { checkSsh, describeTarget, sshTarget, type SshTarget } from "./preflight";

export const USAGE =
  "usage: npm run ssh-check -- --stack <stack> [--host <ci host>] [--root <dir>]";

export interface SshCheckArgs {
  readonly stack: string;
  readonly host: string | undefined;
  readonly root: string | undefined;
}

export function parseSshCheckArgs(argv: readonly string[]): SshCheckArgs {
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag !== "--stack" && flag !== "--host" && flag !== "--root")
      throw new Error(`${flag} is not an option of ssh-check\n${USAGE}`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--"))
      throw new Error(`${flag} needs a value\n${USAGE}`);
    options[flag.slice(2)] = value;
    i++;
  }
  if (options["stack"] === undefined) throw new Error(`--stack is required\n${USAGE}`);
  return { stack: options["stack"], host: options["host"], root: options["root"] };
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

async function main(): Promise<void> {
  const result = await sshCheck(process.argv.slice(2), resolve(__dirname, "..", ".."));
  for (const line of result.lines) process.stdout.write(`${line}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `ssh-check refused: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(1);
  });
}
