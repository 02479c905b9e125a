import type * as docker from "@pulumi/docker";
import { CONTAINER_LOG_OPTS, memoryLimits, RESTART_POLICY } from "./ci-host-render";

/**
 * The hardening every platform container shares: restart policy, memory limit (MB, no swap), log
 * rotation, no privileges. Callers add image, networking and health checks.
 */
export function hardenedContainerArgs(memoryMb: number): Partial<docker.ContainerArgs> {
  return {
    restart: RESTART_POLICY,
    ...memoryLimits(memoryMb),
    logDriver: "json-file",
    logOpts: { ...CONTAINER_LOG_OPTS },
    privileged: false,
    securityOpts: ["no-new-privileges:true"],
    mustRun: true,
  };
}
