/**
 * A release on a CI host: the pipeline's `release.sh` (the same slot functions as its deploy
 * steps) with the stack's values. A local engine's host runs this repository's copy; an SSH host
 * runs the copy Jenkins has there, so both take the same per-service deploy lease.
 */
import { join } from "node:path";
import { containerName } from "../../components/docker/docker-render";
import { argvCommandLine } from "../../components/docker/shell";
import type { CiHostConfig, PlatformConfig, StackApp } from "../../components/config/types";
import { jenkinsLayout } from "../../components/jenkins/jenkins-render";
import { pipelineEnvRecord } from "../../components/jenkins/pipeline-env";
import { releaseProxyContainerName } from "../../components/docker/docker-render";
import { PROXY_CONTAINER_LAYOUT } from "../../components/release/release-render";
import type { ReleaseArgs } from "./args";

export const RELEASE_SCRIPT = join(__dirname, "../../components/jenkins/pipeline/release.sh");

export interface CiHostRelease {
  readonly host: CiHostConfig;
  readonly app: StackApp;
  /** release.sh's environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** The stack's app, host and release.sh environment for `args`; fails naming what to fix. */
export function planCiHostRelease(config: PlatformConfig, args: ReleaseArgs): CiHostRelease {
  if (args.action === "switch" || args.action === "finish")
    throw new Error(
      `--${args.action} is gone: on CI hosts a release switches and retires slots itself, and on aws stacks ECS does`,
    );
  const app = config.apps.find((a) => a.name === args.service);
  if (!app)
    throw new Error(
      `${args.service} is not selected in ${config.stack} (services.apps has ${config.apps.map((a) => a.name).join(", ")})`,
    );
  const names = config.ciHosts.map((h) => h.name);
  const host =
    args.host === undefined
      ? config.ciHosts.length === 1
        ? config.ciHosts[0]
        : undefined
      : config.ciHosts.find((h) => h.name === args.host);
  if (!host)
    throw new Error(
      args.host === undefined
        ? `${config.stack} has CI hosts ${names.join(", ")}: say which with --host`
        : `${args.host} is not a CI host of ${config.stack}; use one of ${names.join(", ")}`,
    );
  const env = pipelineEnvRecord({
    kind: "release",
    action: args.action,
    service: {
      service: app.name,
      appHostPort: app.hostPort,
      slotPorts: app.slotPorts,
      memory: `${app.memoryMb}m`,
      cpus: app.cpus,
      pidsLimit: app.pidsLimit,
    },
    host: {
      stack: config.stack,
      backendNetwork: containerName(config.stack, "backend"),
      resolverIp: host.resolverIp,
      searchDomain: config.regionDomain,
      proxyContainer: releaseProxyContainerName(config.stack),
    },
    image: args.action === "release" ? (args.image ?? `${app.name}:${args.version!}`) : undefined,
    healthPath: app.healthPath,
    proxyLayout: PROXY_CONTAINER_LAYOUT,
    graceSeconds: args.graceSeconds,
  });
  return { host, app, env };
}

/**
 * The command that runs release.sh against `release.host`: argv for spawn, plus extra env.
 *
 * On an SSH host the remote command is one string that the remote login shell parses once: ssh
 * joins its arguments with spaces and sshd hands the result to `<shell> -c`. So it is built as a
 * single command line with every value quoted once (the environment and the script's path, which
 * comes from `jenkins.home`), and given as one argument. The user goes with `-l` and the host after
 * `--`, so neither can be read as an option of ssh's.
 */
export function releaseCommand(
  release: CiHostRelease,
  jenkinsHome: string,
  systemdDir: string,
): { command: string; args: string[]; env: Record<string, string> } {
  const docker = release.host.dockerHost;
  if (docker.scheme === "unix") {
    return {
      command: "bash",
      args: [RELEASE_SCRIPT],
      env: { ...release.env, DOCKER_HOST: docker.url },
    };
  }
  const script = `${jenkinsLayout(jenkinsHome, systemdDir).pipelineDir}/release.sh`;
  return {
    command: "ssh",
    args: [
      "-o",
      "BatchMode=yes",
      "-p",
      String(docker.port),
      "-l",
      docker.user,
      "--",
      docker.host,
      argvCommandLine(release.env, ["bash", script]),
    ],
    env: {},
  };
}
