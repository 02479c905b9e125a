import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "../config/types";

export interface HostCommandArgs {
  /** The command line to run on the host when created, or when `triggers` change. */
  readonly create: pulumi.Input<string>;
  /** Values whose change re-runs the command; chosen deliberately, never connection details. */
  readonly triggers: readonly string[];
}

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
      { create: args.create, triggers: [...args.triggers] },
      opts,
    );
  }
  return new command.remote.Command(
    name,
    {
      connection: { host: host.host, user: host.user, port: host.port, dialErrorLimit: 5 },
      create: args.create,
      triggers: [...args.triggers],
    },
    opts,
  );
}
