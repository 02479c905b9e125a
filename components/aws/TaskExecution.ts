import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "./aws-render";
import { executionRolePolicy, serviceLogGroupName } from "./ecs-render";

export interface TaskExecutionArgs {
  readonly stack: string;
  /** Apps whose tasks log here, sorted. */
  readonly apps: readonly string[];
  readonly logRetentionDays: number;
  /** The registry user the tasks pull as, and its password (stack secret registryPullPassword). */
  readonly registryUser: string;
  readonly registryPassword: pulumi.Input<string>;
}

/**
 * What the ECS agent needs to start any app's task: the private registry's credentials in Secrets
 * Manager (ECS's repositoryCredentials), a log group per app, and the one task execution role that
 * may read that secret and write those logs. The apps themselves get no role.
 */
export class TaskExecution extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly registryCredentialsArn: pulumi.Output<string>;
  /** App -> its log group's name. */
  public readonly logGroups: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: TaskExecutionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:TaskExecution", name, {}, opts);
    const child = { parent: this };
    const secret = new aws.secretsmanager.Secret(
      `${name}-registry-credentials`,
      {
        description: "ci-platform: the private registry user ECS pulls service images as",
        tags: { Name: `${name}-registry-credentials` },
      },
      child,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-registry-credentials`,
      {
        secretId: secret.id,
        secretString: pulumi
          .output(args.registryPassword)
          .apply((password) => JSON.stringify({ username: args.registryUser, password })),
      },
      child,
    );
    const logGroups: Record<string, aws.cloudwatch.LogGroup> = {};
    for (const app of args.apps) {
      logGroups[app] = new aws.cloudwatch.LogGroup(
        `${name}-${app}-logs`,
        {
          name: serviceLogGroupName(args.stack, app),
          retentionInDays: args.logRetentionDays,
          tags: { Name: serviceLogGroupName(args.stack, app), "ci-platform:service": app },
        },
        // Logs are what is left to read after an incident: a removed service keeps them.
        { ...child, retainOnDelete: true },
      );
    }
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
        description: "ECS task execution: registry credentials and task logs only",
        tags: { Name: `${name}-role` },
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-role`,
      {
        role: role.id,
        policy: pulumi
          .all([secret.arn, pulumi.all(args.apps.map((app) => logGroups[app]!.arn))])
          .apply(([secretArn, logArns]) => executionRolePolicy(secretArn, logArns)),
      },
      child,
    );
    this.roleArn = role.arn;
    this.registryCredentialsArn = secret.arn;
    this.logGroups = Object.fromEntries(args.apps.map((app) => [app, logGroups[app]!.name]));
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
