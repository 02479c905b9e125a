/** `npm run release` arguments. */

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

const ACTION_FLAGS: Readonly<Record<string, ReleaseAction>> = {
  "--rollback": "rollback",
  "--switch": "switch",
  "--finish": "finish",
};

export function parseReleaseArgs(argv: readonly string[]): ReleaseArgs {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  const actions: ReleaseAction[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const action = ACTION_FLAGS[arg];
    if (action) {
      actions.push(action);
      continue;
    }
    const match = /^--(stack|host|image|grace|root)(?:=(.*))?$/.exec(arg);
    if (match) {
      const value = match[2] ?? argv[++i];
      if (value === undefined || value === "") throw new Error(`${arg} needs a value\n${USAGE}`);
      options[match[1]!] = value;
    } else if (arg.startsWith("-")) {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    } else {
      positional.push(arg);
    }
  }
  if (actions.length > 1)
    throw new Error(`give one action, not ${actions.map((a) => `--${a}`).join(" and ")}\n${USAGE}`);
  const action = actions[0] ?? "release";
  const [service, version, ...extra] = positional;
  const stack = options["stack"];
  if (service === undefined || extra.length > 0 || stack === undefined) throw new Error(USAGE);
  if (action === "release" && version === undefined)
    throw new Error(`which version of ${service}? ${USAGE}`);
  if (action !== "release" && version !== undefined)
    throw new Error(`--${action} takes no version (got ${version})\n${USAGE}`);
  const grace = options["grace"];
  if (grace !== undefined && !/^\d+$/.test(grace))
    throw new Error(`--grace ${grace} is not a whole number of seconds`);
  return {
    service,
    action,
    version,
    stack,
    host: options["host"],
    image: options["image"],
    graceSeconds: grace === undefined ? undefined : Number(grace),
    root: options["root"],
  };
}
