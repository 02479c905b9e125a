/**
 * `ci-platform release <service> <version> --stack <stack>` (`npm run release --`): a blue-green
 * release (see USAGE).
 *
 * CI hosts: runs the whole release on the host (release.sh: idle slot, health check, pre-tests,
 * switch, post-tests through the public port; switch back and remove the new slot on any failure;
 * the old slot stopped after the grace period), then records the live slot in the stack file.
 *
 * aws (production on ECS): a release is ONE edit of the stack file, to review in the plan diff and
 * apply with `pulumi up` (the deploy workflow): `version` the new revision, `previousVersion` the
 * old one, `liveSlot` the other slot (see slot-edits.ts). ECS's blue/green deployment then tests
 * the new revision, moves traffic, bakes, and rolls back by itself on any failure. `--rollback`
 * writes `previousVersion` back the same way, for a release that passed its tests. `--switch` and
 * `--finish` are refused: ECS switches traffic and retires the old revision itself.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { PlatformConfig } from "../../components/config/types";
import { isSlot, otherSlot } from "../../components/model/slots";
import { run } from "../../lib/process";
import { validatedStackConfig, writeValidatedStackFile } from "../../lib/stack-config";
import { checkSsh, sshTarget } from "../ssh/preflight";
import { EXIT_FINDINGS, EXIT_OK, type Command } from "../cli/command";
import { parseReleaseArgs, RELEASE_OPTIONS, type ReleaseArgs } from "./args";
import { awsReleaseLines, ecsDoesItMessage } from "./aws-release";
import { planCiHostRelease, releaseCommand } from "./ci-host-release";
import { recordLiveSlot, releaseEdit, rollbackEdit } from "./slot-edits";

/** A release on a host waits for the deploy lease and runs two test suites: bound it generously. */
const RELEASE_TIMEOUT_MS = 60 * 60 * 1000;

export interface ReleaseResult {
  readonly ok: boolean;
  /** What to print last: the outcome and what to do next. */
  readonly lines: readonly string[];
}

async function releaseOnCiHost(
  root: string,
  config: PlatformConfig,
  args: ReleaseArgs,
  write: (text: string) => void,
): Promise<ReleaseResult> {
  const plan = planCiHostRelease(config, args);
  const jenkins = config.jenkins!;
  const { command, args: argv, env } = releaseCommand(plan, jenkins.home, jenkins.systemdDir);
  // An SSH host is checked first, bounded, so a refused key or a changed host key is named
  // before anything runs there.
  const target = sshTarget(plan.host);
  if (target) {
    const check = await checkSsh(target);
    if (check.problem !== undefined)
      throw new Error(
        `${check.problem}; nothing was run on ${plan.host.name}: rerun the release once npm run ssh-check -- --stack ${config.stack} passes`,
      );
  }
  const started = Date.now();
  const result = await run(command, argv, {
    env,
    timeoutMs: RELEASE_TIMEOUT_MS,
    onOutput: write,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const slot = /^live-slot=(\w+)$/m.exec(result.stdout)?.[1];
  const what =
    args.action === "release"
      ? `${args.service} ${args.version!}`
      : `the rollback of ${args.service}`;
  if (result.code !== 0 || !isSlot(slot)) {
    return {
      ok: false,
      lines: [
        `${what} on ${plan.host.name} failed after ${seconds} s (exit ${result.code}): the slot that was live stays live; the log above says why`,
      ],
    };
  }
  const path = join(root, `Pulumi.${config.stack}.yaml`);
  const original = readFileSync(path, "utf8");
  writeValidatedStackFile(
    root,
    config.stack,
    original,
    recordLiveSlot(original, args.service, slot),
  );
  return {
    ok: true,
    lines: [
      `${what} on ${plan.host.name}: live in the ${slot} slot after ${seconds} s; ` +
        `Pulumi.${config.stack}.yaml records services.apps.${args.service}.liveSlot: ${slot}`,
      `roll back with: npm run release -- ${args.service} --rollback --stack ${config.stack}` +
        ` (the ${otherSlot(slot)} slot is kept, stopped)`,
    ],
  };
}

function editAwsStack(root: string, config: PlatformConfig, args: ReleaseArgs): ReleaseResult {
  const service = args.service;
  const stack = config.stack;
  if (args.action === "switch" || args.action === "finish")
    throw new Error(ecsDoesItMessage(`--${args.action}`, service, stack));
  if (!config.apps.some((a) => a.name === service))
    throw new Error(`${service} is not selected in Pulumi.${stack}.yaml (services.apps)`);
  if (args.image !== undefined || args.graceSeconds !== undefined || args.host !== undefined)
    throw new Error(
      "--image, --grace and --host are for CI hosts; an aws stack's hosts pull from the registry",
    );
  const path = join(root, `Pulumi.${stack}.yaml`);
  const original = readFileSync(path, "utf8");
  const edited =
    args.action === "release"
      ? releaseEdit(original, service, args.version!)
      : rollbackEdit(original, service);
  const change =
    args.action === "release" ? `${service} ${args.version!}` : `${service} rolled back`;
  const after = writeValidatedStackFile(root, stack, original, edited, change).apps.find(
    (a) => a.name === service,
  )!;
  return { ok: true, lines: awsReleaseLines(args.action, stack, after) };
}

export async function release(
  argv: readonly string[],
  defaultRoot: string,
  write: (text: string) => void,
): Promise<ReleaseResult> {
  const args = parseReleaseArgs(argv);
  const root = resolve(args.root ?? defaultRoot);
  const config = validatedStackConfig(root, args.stack);
  return config.kind === "ci-host"
    ? releaseOnCiHost(root, config, args, write)
    : editAwsStack(root, config, args);
}

export const releaseCliCommand: Command = {
  path: ["release"],
  summary: "a blue-green release of one service, or --rollback to the previous one",
  positionals: "<service> [<version>]",
  options: RELEASE_OPTIONS,
  notes:
    "CI hosts run the release on the host (exit 1 when it fails there); on an aws stack each is\n" +
    "one edit of Pulumi.<stack>.yaml (version, previousVersion, liveSlot) for pulumi up to apply.",
  errorPrefix: "release refused",
  run: async (argv, io) => {
    const result = await release(argv, resolve(__dirname, "..", ".."), io.stdout);
    for (const line of result.lines) io.stdout(`${line}\n`);
    return result.ok ? EXIT_OK : EXIT_FINDINGS;
  },
};
