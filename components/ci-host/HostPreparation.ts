import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHost, HostPrepConfig } from "../config/types";
import { renderDaemonJson, renderHostPrepScript } from "./ci-host-render";
import { hostCommand } from "../docker/HostCommand";
import { commandLine } from "../docker/shell";

/** A registry the host's engine must trust: its CA goes to `<certsDir>/<address>/ca.crt`. */
export interface TrustedRegistry {
  /** `<hostName>:<port>`. */
  readonly address: string;
  /** PEM CA certificate. */
  readonly caCert: string;
}

export interface HostPreparationArgs {
  readonly host: DockerHost;
  readonly prep: HostPrepConfig;
  /** The private registry to trust. @default none */
  readonly trustedRegistry?: TrustedRegistry | undefined;
}

/** Installs the engine's hardened daemon.json on the host, idempotently. */
export class HostPreparation extends pulumi.ComponentResource {
  public readonly daemonJson: string;
  public readonly output: pulumi.Output<string>;

  constructor(name: string, args: HostPreparationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:ci-host:HostPreparation", name, {}, opts);
    this.daemonJson = renderDaemonJson();
    const install: command.local.Command | command.remote.Command = hostCommand(
      `${name}-daemon-json`,
      args.host,
      {
        create: commandLine(
          {
            DAEMON_JSON: this.daemonJson.trimEnd(),
            DAEMON_JSON_PATH: args.prep.daemonJsonPath,
            RELOAD_COMMAND: args.prep.reloadCommand,
            ...(args.trustedRegistry
              ? {
                  REGISTRY_CA: args.trustedRegistry.caCert.trimEnd(),
                  REGISTRY_CA_PATH: `${args.prep.certsDir}/${args.trustedRegistry.address}/ca.crt`,
                }
              : {}),
          },
          renderHostPrepScript(),
        ),
        triggers: [
          this.daemonJson,
          args.prep.daemonJsonPath,
          ...(args.trustedRegistry
            ? [args.trustedRegistry.address, args.trustedRegistry.caCert]
            : []),
        ],
      },
      { parent: this },
    );
    this.output = install.stdout;
    this.registerOutputs({ output: this.output });
  }
}
