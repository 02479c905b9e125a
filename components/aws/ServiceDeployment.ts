import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { APP_CONTAINER_PORT } from "../catalog/catalog";
import { hardenedContainerArgs } from "../ci-host/container-defaults";
import type { StackApp } from "../config/types";
import type { FleetHost } from "./HostFleet";

export interface ServiceDeploymentArgs {
  readonly host: FleetHost;
  /** Apps on this host, each at its configured version. */
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
 * service the image at the version the stack config names, published on the service's host port.
 * Changing one service's version changes only that service's image and container.
 */
export class ServiceDeployment extends pulumi.ComponentResource {
  constructor(name: string, args: ServiceDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:ServiceDeployment", name, {}, opts);
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
    for (const app of args.apps) {
      const image = `${args.registry}/${app.name}:${app.version!}`;
      const pulled = new docker.RemoteImage(
        `${name}-${app.name}`,
        { name: image, keepLocally: true },
        { parent: this, provider },
      );
      new docker.Container(
        `${name}-${app.name}`,
        {
          ...hardenedContainerArgs(app.memoryMb),
          name: app.name,
          image: pulled.imageId,
          ports: [
            {
              internal: APP_CONTAINER_PORT,
              external: app.hostPort,
              ip: "0.0.0.0",
              protocol: "tcp",
            },
          ],
          envs: [`APP_ENV=${args.appEnv}`],
          dnsSearches: [args.regionDomain],
          labels: [
            { label: "ci-platform.service", value: app.name },
            { label: "ci-platform.version", value: app.version! },
          ],
        },
        { parent: this, provider, deleteBeforeReplace: true },
      );
    }
    this.registerOutputs({});
  }
}
