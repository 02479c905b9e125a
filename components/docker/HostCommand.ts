import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "../config/types";

export interface HostCommandArgs {
  /** The command line to run on the host when created, or when `triggers` change. */
  readonly create: pulumi.Input<string>;
  /** Values whose change re-runs the command; chosen deliberately, never connection details. */
  readonly triggers: readonly pulumi.Input<string>[];
  /** Written to the command's standard input. @default nothing */
  readonly stdin?: pulumi.Input<string>;
}

/**
 * A command line that runs the bash script arriving on its standard input. Long scripts go this
 * way: one argument of a command line may not exceed 128 KiB on Linux. The script is saved to a
 * private temp file first, so nothing it runs can read the rest of it from stdin.
 */
export const RUN_SCRIPT_FROM_STDIN =
  'script="$(mktemp)" && cat > "$script" && { bash "$script"; rc=$?; rm -f "$script"; exit "$rc"; }';

/**
 * Runs a command on a CI host: locally for a `unix://` engine (the host is this machine), over SSH
 * for an `ssh://` one, as the same user the Docker provider connects as.
 */
export function hostCommand(
  name: string,
  host: DockerHost,
  args: HostCommandArgs,
  opts: pulumi.CustomResourceOptions,
): command.local.Command | command.remote.Command {
  if (host.scheme === "unix") {
    return new command.local.Command(
      name,
      {
        create: args.create,
        triggers: [...args.triggers],
        ...(args.stdin === undefined ? {} : { stdin: args.stdin }),
      },
      opts,
    );
  }
  return new command.remote.Command(
    name,
    {
      connection: {
        host: host.host,
        user: host.user,
        port: host.port,
        dialErrorLimit: 5,
        ...(host.hostKey === undefined ? {} : { hostKey: host.hostKey }),
      },
      create: args.create,
      triggers: [...args.triggers],
      ...(args.stdin === undefined ? {} : { stdin: args.stdin }),
    },
    opts,
  );
}
