/** `ci-platform release` (`npm run release`) arguments. */
import {
  flagValue,
  parseCommandLine,
  stringValue,
  UsageError,
  type OptionSpecs,
} from "../cli/command";

export const USAGE = `usage:
  npm run release -- <service> <version> --stack <stack>   release <version> blue/green
  npm run release -- <service> --rollback --stack <stack>  make the previous release live again
CI hosts run the release on the host; on an aws stack each is one edit of Pulumi.<stack>.yaml
(version, previousVersion, liveSlot) that pulumi up applies as an ECS blue/green deployment, which
switches traffic, retires the old revision and rolls back a failed deployment by itself.
options:
  --host <ci host>   the CI host to release on (default: the stack's only CI host)
  --image <ref>      CI hosts: the image to run (default: <service>:<version> on the host)
  --grace <seconds>  CI hosts: how long the old slot keeps running after a switch (default 30)
  --root <dir>       the project root holding Pulumi.<stack>.yaml (default: this repository)`;

/**
 * `switch` and `finish` are read only to be refused with the reason: a CI host's release.sh and
 * an aws stack's ECS deployment both switch and retire slots themselves.
 */
export type ReleaseAction = "release" | "rollback" | "switch" | "finish";

export interface ReleaseArgs {
  readonly service: string;
  readonly action: ReleaseAction;
  /** The version to release (action `release` only). */
  readonly version: string | undefined;
  readonly stack: string;
  readonly host: string | undefined;
  readonly image: string | undefined;
  readonly graceSeconds: number | undefined;
  readonly root: string | undefined;
}

export const RELEASE_OPTIONS: OptionSpecs = {
  stack: { type: "string", value: "stack", description: "the stack to release on" },
  rollback: { type: "boolean", description: "make the previous release live again" },
  switch: { type: "boolean", description: "refused: release.sh and ECS switch slots themselves" },
  finish: { type: "boolean", description: "refused: release.sh and ECS retire slots themselves" },
  host: {
    type: "string",
    value: "ci host",
    description: "the CI host to release on (default: the stack's only CI host)",
  },
  image: {
    type: "string",
    value: "ref",
    description: "CI hosts: the image to run (default: <service>:<version> on the host)",
  },
  grace: {
    type: "string",
    value: "seconds",
    description: "CI hosts: how long the old slot keeps running after a switch (default 30)",
  },
  root: {
    type: "string",
    value: "dir",
    description: "the project root holding Pulumi.<stack>.yaml (default: this repository)",
  },
};

const ACTIONS = ["rollback", "switch", "finish"] as const;

export function parseReleaseArgs(argv: readonly string[]): ReleaseArgs {
  const line = parseCommandLine(argv, RELEASE_OPTIONS, USAGE, { positionals: true });
  // In the order given, for the message.
  const actions: ReleaseAction[] = ACTIONS.filter((a) => flagValue(line, a)).sort(
    (a, b) => argv.indexOf(`--${a}`) - argv.indexOf(`--${b}`),
  );
  if (actions.length > 1)
    throw new UsageError(
      `give one action, not ${actions.map((a) => `--${a}`).join(" and ")}\n${USAGE}`,
    );
  const action = actions[0] ?? "release";
  const [service, version, ...extra] = line.positionals;
  const stack = stringValue(line, "stack");
  if (service === undefined || extra.length > 0 || stack === undefined) throw new UsageError(USAGE);
  if (action === "release" && version === undefined)
    throw new UsageError(`which version of ${service}? ${USAGE}`);
  if (action !== "release" && version !== undefined)
    throw new UsageError(`--${action} takes no version (got ${version})\n${USAGE}`);
  const grace = stringValue(line, "grace");
  if (grace !== undefined && !/^\d+$/.test(grace))
    throw new UsageError(`--grace ${grace} is not a whole number of seconds`);
  return {
    service,
    action,
    version,
    stack,
    host: stringValue(line, "host"),
    image: stringValue(line, "image"),
    graceSeconds: grace === undefined ? undefined : Number(grace),
    root: stringValue(line, "root"),
  };
}
