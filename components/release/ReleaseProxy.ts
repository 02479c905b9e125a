import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { HostImages } from "../docker/HostImages";
import { hostCommand } from "../docker/HostCommand";
import { containerName } from "../docker/docker-render";
import { applyPidsLimit, hardenedContainerArgs } from "../docker/container-defaults";
import { PLATFORM_LIMITS } from "../docker/container-limits";
import { commandLine } from "../docker/shell";
import { REGISTRY_IMAGES } from "../model/pins";
import type { DockerHost, StackApp } from "../config/types";
import {
  PROXY_CONTAINER_LAYOUT,
  proxyExecCommand,
  renderInstallServersScript,
  renderProxyEntrypoint,
  renderReleaseProxyConf,
  renderReleaseProxyServers,
  renderSwitchScript,
} from "./release-render";
import { releaseProxyContainerName } from "../docker/docker-render";

/** Any nginx image with `sh` works; the same one as the registry's front, so a host pulls one. */
export const RELEASE_PROXY_IMAGE = REGISTRY_IMAGES.nginx;

export interface ReleaseProxyArgs {
  /** Stack name, part of the container's name. */
  readonly stack: string;
  /** Applications the proxy fronts, each with its public port, slot ports and live slot. */
  readonly apps: readonly StackApp[];
  /** The host, for the command that switches slots. */
  readonly dockerHost: DockerHost;
  readonly provider: docker.Provider;
  readonly images: HostImages;
}

/**
 * A CI host's blue-green release proxy: nginx on the host network, listening on every service's
 * public port on 127.0.0.1 and proxying to its live slot. The slots themselves are the pipeline's
 * (and `npm run release`'s) containers, published on the slot ports.
 *
 * Host networking is the design here: the proxy listens on the host's 127.0.0.1 at each service's
 * public port and reaches the slots at their published 127.0.0.1 ports, and a port change is a
 * reload, not a new port mapping (which would replace the container). The policy allows host
 * networking only on this container (label `ci-platform.role=release-proxy`) and dev-minimal's.
 *
 * Which slot is live is stack config (`services.apps.<app>.liveSlot`): when it changes, that
 * service's command rewrites its live file and reloads nginx, so a switch by review never replaces
 * the container.
 * The live files sit on a volume, kept if the container is replaced, since the pipeline switches
 * slots between reviewed changes too.
 */
export class ReleaseProxy extends pulumi.ComponentResource {
  public readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: ReleaseProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:release:ReleaseProxy", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const layout = PROXY_CONTAINER_LAYOUT;
    const proxyName = releaseProxyContainerName(args.stack);

    const liveVolume = new docker.Volume(
      `${name}-live`,
      {
        name: containerName(args.stack, "release-proxy-live"),
        labels: [{ label: "ci-platform.role", value: "release-proxy-live" }],
      },
      { ...child, protect: true, retainOnDelete: true },
    );
    const container = new docker.Container(
      `${name}-nginx`,
      {
        ...hardenedContainerArgs(PLATFORM_LIMITS.releaseProxy, [
          { label: "ci-platform.role", value: "release-proxy" },
        ]),
        // The rootfs stays writable: the config is an upload, which Docker refuses to copy into a
        // read-only rootfs (see container-limits.ts).
        name: proxyName,
        image: args.images.ref(RELEASE_PROXY_IMAGE),
        // Host networking, by design: see the class comment.
        networkMode: "host",
        entrypoints: ["sh", "-c"],
        command: [renderProxyEntrypoint(layout)],
        // Fixed: the servers are installed below, so a port change never replaces the container.
        uploads: [{ file: layout.conf, content: renderReleaseProxyConf(layout, []) }],
        volumes: [{ volumeName: liveVolume.name, containerPath: layout.liveDir }],
        healthcheck: {
          tests: ["CMD-SHELL", `kill -0 "$(cat ${layout.pid})"`],
          interval: "15s",
          timeout: "5s",
          retries: 3,
          startPeriod: "5s",
        },
      },
      { ...child, deleteBeforeReplace: true },
    );
    applyPidsLimit(
      `${name}-nginx-pids`,
      args.dockerHost,
      container,
      proxyName,
      PLATFORM_LIMITS.releaseProxy,
      { parent: this },
    );

    // A local command talks to the same engine as the provider; on an SSH host, its own.
    const local = args.dockerHost.scheme === "unix" ? { DOCKER_HOST: args.dockerHost.url } : {};
    const servers = renderReleaseProxyServers(layout, args.apps);
    const installServers = hostCommand(
      `${name}-servers`,
      args.dockerHost,
      {
        create: commandLine(
          local,
          proxyExecCommand(proxyName, renderInstallServersScript(layout), true),
        ),
        stdin: servers,
        // The servers themselves: a port change re-runs it (a graceful reload), nothing else does.
        triggers: [servers],
      },
      { parent: this, dependsOn: [container] },
    );

    const assignments = [...args.apps].sort((a, b) => a.name.localeCompare(b.name));
    // One command per service, so a reviewed switch of one service touches no other service's
    // live file (the pipeline may have switched those since the stack file was written).
    for (const app of assignments) {
      hostCommand(
        `${name}-live-${app.name}`,
        args.dockerHost,
        {
          create: commandLine(local, proxyExecCommand(proxyName, renderSwitchScript(layout, app))),
          // Only the live slot: a switch re-runs it; reconnecting or a new container does not.
          triggers: [app.liveSlot],
        },
        { parent: this, dependsOn: [installServers] },
      );
    }

    this.containerName = pulumi.output(proxyName);
    this.registerOutputs({ containerName: this.containerName });
  }
}
