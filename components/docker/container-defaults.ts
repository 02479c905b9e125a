import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "../config/types";
import { CONTAINER_LOG_OPTS, memoryLimits, RESTART_POLICY } from "./docker-render";
import { cpuAndPidsLimits, pidsLimitCommand, type ContainerLimits } from "./container-limits";
import { hostCommand } from "./HostCommand";
import { commandLine } from "./shell";

/**
 * The hardening every platform container shares: restart policy, memory (MB, no swap), CPU and
 * PIDs limits, log rotation, no privileges. The PIDs limit travels as the `ci-platform.pids-limit`
 * label, which `applyPidsLimit` enforces. Callers add image, networking, health checks, the
 * read-only rootfs (`readOnlyRootfs`); their own labels come in `labels`, never set after this.
 */
export function hardenedContainerArgs(
  limits: ContainerLimits,
  labels: readonly { label: string; value: string }[] = [],
): Partial<docker.ContainerArgs> {
  const { cpus, pidsLabel } = cpuAndPidsLimits(limits);
  return {
    restart: RESTART_POLICY,
    ...memoryLimits(limits.memoryMb),
    cpus,
    logDriver: "json-file",
    logOpts: { ...CONTAINER_LOG_OPTS },
    privileged: false,
    securityOpts: ["no-new-privileges:true"],
    mustRun: true,
    labels: [...labels, pidsLabel],
  };
}

/**
 * Applies a container's PIDs limit on its host, after each creation of the container (the docker
 * provider has no input for it; see container-limits.ts). The container's id is the trigger, so a
 * replaced container gets its limit again and nothing else re-runs it.
 */
export function applyPidsLimit(
  name: string,
  host: DockerHost,
  container: docker.Container,
  containerName: string,
  limits: ContainerLimits,
  opts: pulumi.CustomResourceOptions,
): void {
  hostCommand(
    name,
    host,
    {
      create: commandLine(
        // A local command talks to the same engine as the provider; on an SSH host, its own.
        host.scheme === "unix" ? { DOCKER_HOST: host.url } : {},
        pidsLimitCommand(containerName, limits.pidsLimit),
      ),
      triggers: [container.id, String(limits.pidsLimit)],
    },
    { ...opts, dependsOn: [container] },
  );
}
