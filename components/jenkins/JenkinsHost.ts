import { releaseProxyContainerName } from "../docker/docker-render";
import type * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DatastoreEntry } from "../catalog/catalog";
import { hostCommand, RUN_SCRIPT_FROM_STDIN } from "../docker/HostCommand";
import type { CiHostConfig, JenkinsConfig, RegistryConfig, StackApp } from "../config/types";
import {
  JENKINS_CREDENTIALS,
  legacySecretsDropIn,
  renderJenkinsInstallScript,
  renderJenkinsSite,
  renderPluginsFile,
  renderSecretsCommand,
  renderSecretsInput,
} from "./jenkins-render";
import { readPipelineScripts } from "./pipeline-files";
import { JAVA_PACKAGE } from "../model/pins";
import { JENKINS_PLUGINS } from "./plugins";

export interface JenkinsHostArgs {
  readonly stack: string;
  readonly host: CiHostConfig;
  readonly jenkins: JenkinsConfig;
  /** Every application service: one pipeline job each. */
  readonly apps: readonly StackApp[];
  readonly datastores: readonly DatastoreEntry[];
  readonly regionDomain: string;
  /** The registry builds are pushed to, on stacks that publish. @default none */
  readonly registry?: RegistryConfig | undefined;
  readonly adminPassword: pulumi.Input<string>;
  /** Password of `jenkins.registryUser`, when builds publish. */
  readonly registryPassword?: pulumi.Input<string> | undefined;
  /** The CI host's Docker engine, which builds the pipeline's helper image. */
  readonly provider: docker.Provider;
}

/** The integration tests' network holder, built on each CI host from this repository. */
export const NETWORKHOLDER_IMAGE = "ci-platform/networkholder:1";

/**
 * Jenkins on a CI host, installed and configured by two idempotent commands: one that only places
 * the secrets (root-only files the unit loads as systemd credentials), then one with everything reviewable (packages, plugins, JCasC with one job per
 * service, pipeline scripts), re-run when any of it changes.
 */
export class JenkinsHost extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>;
  public readonly jobs: pulumi.Output<string[]>;

  constructor(name: string, args: JenkinsHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:jenkins:JenkinsHost", name, {}, opts);
    const { jenkins, host } = args;
    if (args.registry && args.registryPassword === undefined)
      throw new Error(
        `JenkinsHost ${name}: registryPassword is required when builds publish to ${args.registry.address}`,
      );
    const { layout, jobs, casc } = renderJenkinsSite({
      stack: args.stack,
      host,
      jenkins,
      apps: args.apps,
      datastores: args.datastores,
      regionDomain: args.regionDomain,
      registry: args.registry,
      proxyContainer: releaseProxyContainerName(args.stack),
      networkholderImage: NETWORKHOLDER_IMAGE,
    });
    // Relative to the project root, where Pulumi runs the program: plans stay machine-independent.
    new docker.Image(
      `${name}-networkholder`,
      {
        imageName: NETWORKHOLDER_IMAGE,
        build: { context: "components/jenkins/networkholder", platform: "linux/amd64" },
        skipPush: true,
      },
      { parent: this, provider: args.provider },
    );
    const plugins = renderPluginsFile(JENKINS_PLUGINS);
    const scripts = readPipelineScripts().map((s) => ({
      path: `${layout.pipelineDir}/${s.name}`,
      content: s.content,
      mode: "0755",
    }));
    const install = renderJenkinsInstallScript({
      version: jenkins.version,
      javaPackage: JAVA_PACKAGE,
      aptSource: jenkins.aptSource,
      aptSourcesDir: jenkins.aptSourcesDir,
      layout,
      port: jenkins.port,
      listenAddress: jenkins.listenAddress,
      credentials: [
        JENKINS_CREDENTIALS.adminPassword,
        ...(args.registry ? [JENKINS_CREDENTIALS.registryPassword] : []),
      ],
      obsoleteFiles: [legacySecretsDropIn(layout)],
      files: [
        { path: layout.cascPath, content: casc, mode: "0644" },
        { path: layout.pluginsPath, content: plugins, mode: "0644" },
        ...scripts,
      ],
      restartCommand: jenkins.restartCommand,
    });
    // The secrets go first: on a new host they are in place when the install starts Jenkins, so a
    // first install restarts it once; afterwards each command restarts it only for its own changes.
    const secrets: command.local.Command | command.remote.Command = hostCommand(
      `${name}-secrets`,
      host.dockerHost,
      {
        create: renderSecretsCommand(
          layout,
          [
            JENKINS_CREDENTIALS.adminPassword,
            ...(args.registry ? [JENKINS_CREDENTIALS.registryPassword] : []),
          ],
          jenkins.restartCommand,
        ),
        // A changed secret changes stdin, which re-runs the command (the provider diffs every input).
        stdin: pulumi.secret(
          pulumi
            .all([args.adminPassword, args.registry ? args.registryPassword! : ""])
            .apply(([admin, registry]) =>
              renderSecretsInput([
                { id: JENKINS_CREDENTIALS.adminPassword, value: admin },
                ...(args.registry
                  ? [{ id: JENKINS_CREDENTIALS.registryPassword, value: registry }]
                  : []),
              ]),
            ),
        ),
        triggers: [],
      },
      { parent: this },
    );
    hostCommand(
      `${name}-install`,
      host.dockerHost,
      // The script itself is the trigger: any change to a job, plugin or script re-runs it.
      { create: RUN_SCRIPT_FROM_STDIN, stdin: install, triggers: [install] },
      { parent: this, dependsOn: [secrets] },
    );
    this.url = pulumi.output(
      `http://${host.dockerHost.scheme === "ssh" ? host.dockerHost.host : "127.0.0.1"}:${jenkins.port}/`,
    );
    this.jobs = pulumi.output(jobs.map((j) => j.name));
    this.registerOutputs({ url: this.url, jobs: this.jobs });
  }
}
