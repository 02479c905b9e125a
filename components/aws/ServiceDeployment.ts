import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { APP_CONTAINER_PORT } from "../catalog/catalog";
import { hardenedContainerArgs } from "../ci-host/container-defaults";
import { pidsLimitCommand } from "../ci-host/container-limits";
import type { StackApp } from "../config/types";
import { slotVersions } from "./aws-render";
import type { FleetHost } from "./HostFleet";

export interface ServiceDeploymentArgs {
  readonly host: FleetHost;
  /** Apps on this host: the live slot at `version`, the idle slot at `idleVersion` when set. */
  readonly apps: readonly StackApp[];
  readonly sshUser: string;
  /** Host to jump through. @default connect directly */
  readonly bastion?: string | undefined;
  readonly registry: string;
  readonly registryUser: string;
  readonly registryPassword: pulumi.Input<string>;
  /** `<region>.<domain>`: plain names resolve as on the CI hosts. */
  readonly regionDomain: string;
  /** The stack: every app reads environment specifics from APP_ENV, like NODE_ENV. */
  readonly appEnv: string;
}

/**
 * The services of one production host: its Docker engine over SSH (through the bastion), and per
 * service one container per release slot that has a version: the live slot at `version`, the idle
 * slot at `idleVersion`, each published on its slot port (the load balancer picks the live one).
 * Changing one slot's version changes only that slot's image and container; a switch (live slot
 * flipped, versions swapped) changes none, since no container records which slot is live.
 */
export class ServiceDeployment extends pulumi.ComponentResource {
  constructor(name: string, args: ServiceDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:ServiceDeployment", name, {}, opts);
    // Every app's slots before any child: an app without a version fails here, naming it.
    const releases = args.apps.map((app) => ({ app, slots: slotVersions(app) }));
    const provider = new docker.Provider(
      `${name}-docker`,
      {
        host: pulumi.interpolate`ssh://${args.sshUser}@${args.host.instance.privateIp}`,
        sshOpts: [
          "-o",
          "BatchMode=yes",
          ...(args.bastion ? ["-o", `ProxyJump=${args.sshUser}@${args.bastion}`] : []),
        ],
        registryAuth: [
          { address: args.registry, username: args.registryUser, password: args.registryPassword },
        ],
      },
      { parent: this },
    );
    for (const { app, slots } of releases) {
      for (const { slot, version } of slots) {
        const pulled = new docker.RemoteImage(
          `${name}-${app.name}-${slot}`,
          { name: `${args.registry}/${app.name}:${version}`, keepLocally: true },
          { parent: this, provider },
        );
        const dockerName = `${app.name}-${slot}`;
        const container = new docker.Container(
          `${name}-${app.name}-${slot}`,
          {
            // The image is the service's own build: which paths it writes is not known here, so
            // the rootfs stays writable (the policy's allow-list names production slots).
            ...hardenedContainerArgs(app, [
              { label: "ci-platform.service", value: app.name },
              { label: "ci-platform.slot", value: slot },
              { label: "ci-platform.version", value: version },
            ]),
            name: dockerName,
            image: pulled.imageId,
            ports: [
              {
                internal: APP_CONTAINER_PORT,
                external: app.slotPorts[slot],
                ip: "0.0.0.0",
                protocol: "tcp",
              },
            ],
            envs: [`APP_ENV=${args.appEnv}`, `RELEASE_SLOT=${slot}`],
            dnsSearches: [args.regionDomain],
          },
          { parent: this, provider, deleteBeforeReplace: true },
        );
        // The PIDs limit, which the docker provider has no input for (see container-limits.ts),
        // over the same SSH route as the provider; re-applied whenever the container is new.
        new command.remote.Command(
          `${name}-${app.name}-${slot}-pids`,
          {
            connection: {
              host: args.host.instance.privateIp,
              user: args.sshUser,
              dialErrorLimit: 5,
              ...(args.bastion ? { proxy: { host: args.bastion, user: args.sshUser } } : {}),
            },
            create: pidsLimitCommand(dockerName, app.pidsLimit),
            triggers: [container.id, String(app.pidsLimit)],
          },
          { parent: this, dependsOn: [container] },
        );
      }
    }
    this.registerOutputs({});
  }
}
