import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DatastoreEntry } from "../catalog/catalog";
import { containerName } from "../ci-host/ci-host-render";
import { hardenedContainerArgs } from "../ci-host/container-defaults";
import type { HostImages } from "../ci-host/HostImages";
import { datastoreEnvs } from "./datastore-env";
import { datastoreHealthcheck } from "./services-render";

export interface DevServicesArgs {
  /** Stack name, part of each container's name. */
  readonly stack: string;
  /** Datastore types to run, one container each. */
  readonly datastores: readonly DatastoreEntry[];
  readonly provider: docker.Provider;
  readonly images: HostImages;
  /** Superuser password for the datastores whose image requires one. @default none selected needs one */
  readonly datastorePassword?: pulumi.Input<string> | undefined;
}

/**
 * The dev-minimal set: one empty container per datastore type on the host network, at its default
 * port and on 127.0.0.1 only, for unit tests and laptops. Nothing in it is worth keeping, so
 * nothing is protected.
 */
export class DevServices extends pulumi.ComponentResource {
  /** Datastore type -> `127.0.0.1:<port>`. */
  public readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: DevServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:services:DevServices", name, {}, opts);
    for (const entry of args.datastores) {
      const healthcheck = datastoreHealthcheck(entry);
      new docker.Container(
        `${name}-${entry.name}`,
        {
          ...hardenedContainerArgs(entry.memoryMb),
          name: containerName(args.stack, `dev-${entry.name}`),
          image: args.images.ref(entry.image),
          networkMode: "host",
          command: [...entry.loopbackCommand],
          ...datastoreEnvs(entry, args.datastorePassword),
          ...(healthcheck ? { healthcheck } : {}),
        },
        { parent: this, provider: args.provider, deleteBeforeReplace: true },
      );
    }
    this.endpoints = pulumi.output(
      Object.fromEntries(args.datastores.map((d) => [d.name, `127.0.0.1:${d.port}`])),
    );
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
