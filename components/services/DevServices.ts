import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DatastoreEntry } from "../catalog/catalog";
import { containerName } from "../docker/docker-render";
import { applyPidsLimit, hardenedContainerArgs } from "../docker/container-defaults";
import { readOnlyRootfs } from "../docker/container-limits";
import type { DockerHost } from "../config/types";
import type { HostImages } from "../docker/HostImages";
import { datastoreEnvs } from "./datastore-env";
import { datastoreHealthcheck } from "./services-render";

export interface DevServicesArgs {
  /** Stack name, part of each container's name. */
  readonly stack: string;
  /** Datastore types to run, one container each. */
  readonly datastores: readonly DatastoreEntry[];
  /** The host, for the command that applies each container's PIDs limit. */
  readonly dockerHost: DockerHost;
  readonly provider: docker.Provider;
  readonly images: HostImages;
  /** Superuser password for the datastores whose image requires one. @default none selected needs one */
  readonly datastorePassword?: pulumi.Input<string> | undefined;
}

/**
 * The dev-minimal set: one empty container per datastore type on the host network, at its default
 * port and on 127.0.0.1 only, for unit tests and laptops. Nothing in it is worth keeping, so
 * nothing is protected.
 *
 * Host networking is the design here: tests and laptops reach every datastore at
 * `127.0.0.1:<default port>`, the pipeline's networkholder relays to them from there, and each
 * image's `loopbackCommand` keeps it off the host's other addresses. The policy allows host
 * networking only on containers labelled `ci-platform.role=dev-datastore` (these) and the release
 * proxy.
 */
export class DevServices extends pulumi.ComponentResource {
  /** Datastore type -> `127.0.0.1:<port>`. */
  public readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: DevServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:services:DevServices", name, {}, opts);
    for (const entry of args.datastores) {
      const healthcheck = datastoreHealthcheck(entry);
      const dockerName = containerName(args.stack, `dev-${entry.name}`);
      const container = new docker.Container(
        `${name}-${entry.name}`,
        {
          ...hardenedContainerArgs(entry, [{ label: "ci-platform.role", value: "dev-datastore" }]),
          // The data path is one of the image's VOLUMEs: an anonymous volume, writable.
          ...readOnlyRootfs(entry.tmpfs),
          name: dockerName,
          image: args.images.ref(entry.image),
          // Host networking, by design: see the class comment.
          networkMode: "host",
          command: [...entry.loopbackCommand],
          ...datastoreEnvs(entry, args.datastorePassword),
          ...(healthcheck ? { healthcheck } : {}),
        },
        { parent: this, provider: args.provider, deleteBeforeReplace: true },
      );
      applyPidsLimit(`${name}-${entry.name}-pids`, args.dockerHost, container, dockerName, entry, {
        parent: this,
      });
    }
    this.endpoints = pulumi.output(
      Object.fromEntries(args.datastores.map((d) => [d.name, `127.0.0.1:${d.port}`])),
    );
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
