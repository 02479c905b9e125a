/** The only code that reads Pulumi config: it validates everything before any resource exists. */
import * as pulumi from "@pulumi/pulumi";
import { formatConfigIssues } from "./format";
import type { ConfigIssue, PlatformConfig } from "./types";
import { SECRET_SETTINGS, validateEngineConfig } from "./validate";

/** Secrets stay `Output<string>`, marked secret, from config to the resource that needs them. */
export interface PlatformSecrets {
  readonly jenkinsAdminPassword: pulumi.Output<string> | undefined;
  readonly registryHtpasswd: pulumi.Output<string> | undefined;
  readonly registryTlsKey: pulumi.Output<string> | undefined;
  readonly registryHttpSecret: pulumi.Output<string> | undefined;
  readonly jenkinsRegistryPassword: pulumi.Output<string> | undefined;
  readonly registryPullPassword: pulumi.Output<string> | undefined;
  readonly datastorePassword: pulumi.Output<string> | undefined;
}

export interface LoadedConfig {
  readonly config: PlatformConfig;
  readonly secrets: PlatformSecrets;
}

/**
 * Whether the engine stored a setting as a secret. The SDK exports this at runtime without a type
 * declaration; without it no setting can be proven secret, so plain-text secrets are reported.
 */
const isConfigSecret: (key: string) => boolean =
  (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret ??
  (() => false);

/** Thrown for invalid stack config; the engine prints its message without a stack trace. */
export class StackConfigError extends pulumi.RunError {
  constructor(
    message: string,
    /** Every problem, for tools that report them against another file name. */
    readonly issues: readonly ConfigIssue[],
  ) {
    super(message);
  }
}

/** Reads, validates and types the current stack's config; throws StackConfigError listing every issue. */
export function loadPlatformConfig(): LoadedConfig {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  const result = validateEngineConfig(project, stack, pulumi.runtime.allConfig(), isConfigSecret);
  if (!result.ok)
    throw new StackConfigError(formatConfigIssues(project, stack, result.issues), result.issues);
  const values = result.values;

  const config = new pulumi.Config();
  const secret = (key: keyof typeof SECRET_SETTINGS): pulumi.Output<string> | undefined =>
    values[key] === undefined ? undefined : config.requireSecret(key);
  return {
    config: result.config,
    secrets: {
      jenkinsAdminPassword: secret("jenkinsAdminPassword"),
      registryHtpasswd: secret("registryHtpasswd"),
      registryTlsKey: secret("registryTlsKey"),
      registryHttpSecret: secret("registryHttpSecret"),
      jenkinsRegistryPassword: secret("jenkinsRegistryPassword"),
      registryPullPassword: secret("registryPullPassword"),
      datastorePassword: secret("datastorePassword"),
    },
  };
}
