import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "./aws-render";
import { hookFunctionPolicy, hookInvokePolicy } from "./ecs-render";
import { HOOK_HANDLER, HOOK_RUNTIME, hookHandlerCode } from "./integration-hook/hook-details";

/** The AWS-managed policy ECS uses to move a blue/green deployment's load-balancer traffic. */
export const ECS_LOAD_BALANCERS_POLICY_ARN =
  "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers";

export interface BlueGreenDeploymentsArgs {
  readonly stack: string;
  readonly clusterArn: pulumi.Input<string>;
  /** The task execution role the test tasks run with (the hook passes it to ECS). */
  readonly executionRoleArn: pulumi.Input<string>;
  readonly logRetentionDays: number;
}

/**
 * What every service's ECS blue/green deployment uses. The lifecycle hook: one Lambda that runs
 * the service's test task (pre-integration tests on the test listener, post-integration tests on
 * 80) and answers IN_PROGRESS until it ends, then SUCCEEDED or FAILED (FAILED rolls back); its
 * role may only run and watch test tasks on this cluster, and ECS invokes it through a role of its
 * own. And the role ECS moves the listener rules' traffic with.
 */
export class BlueGreenDeployments extends pulumi.ComponentResource {
  public readonly hookArn: pulumi.Output<string>;
  /** The role ECS assumes to invoke the hook. */
  public readonly hookInvokeRoleArn: pulumi.Output<string>;
  /** The role ECS assumes to move traffic between a service's target groups. */
  public readonly trafficRoleArn: pulumi.Output<string>;

  constructor(
    name: string,
    args: BlueGreenDeploymentsArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("ciplatform:aws:BlueGreenDeployments", name, {}, opts);
    const child = { parent: this };
    const functionName = `${args.stack}-integration-hook`;
    const logs = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: args.logRetentionDays,
        tags: { Name: `/aws/lambda/${functionName}` },
      },
      { ...child, retainOnDelete: true },
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
        description: "The integration-test hook: run and watch test tasks on the cluster",
        tags: { Name: `${name}-role` },
      },
      child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-role`,
      {
        role: role.id,
        policy: pulumi
          .all([args.clusterArn, args.executionRoleArn, logs.arn])
          .apply(([clusterArn, executionRoleArn, hookLogGroupArn]) =>
            hookFunctionPolicy({
              clusterArn,
              stack: args.stack,
              executionRoleArn,
              hookLogGroupArn,
            }),
          ),
      },
      child,
    );
    const fn = new aws.lambda.Function(
      `${name}-function`,
      {
        name: functionName,
        description:
          "ci-platform: runs a service's integration tests during its ECS blue/green deployment",
        runtime: HOOK_RUNTIME,
        handler: HOOK_HANDLER,
        role: role.arn,
        code: new pulumi.asset.AssetArchive({
          "index.mjs": new pulumi.asset.StringAsset(hookHandlerCode()),
        }),
        // One invocation starts or polls a test task; the test run is bounded by the hook details.
        timeout: 60,
        memorySize: 256,
        loggingConfig: { logFormat: "Text", logGroup: logs.name },
        tags: { Name: functionName },
      },
      { ...child, dependsOn: [rolePolicy] },
    );
    const invokeRole = new aws.iam.Role(
      `${name}-invoke`,
      {
        assumeRolePolicy: assumeRolePolicy("ecs.amazonaws.com"),
        description: "ECS deployments: invoke the integration-test hook",
        tags: { Name: `${name}-invoke` },
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-invoke`,
      { role: invokeRole.id, policy: fn.arn.apply(hookInvokePolicy) },
      child,
    );
    const trafficRole = new aws.iam.Role(
      `${name}-traffic`,
      {
        assumeRolePolicy: assumeRolePolicy("ecs.amazonaws.com"),
        description: "ECS deployments: move listener-rule traffic between target groups",
        tags: { Name: `${name}-traffic` },
      },
      child,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-traffic`,
      { role: trafficRole.name, policyArn: ECS_LOAD_BALANCERS_POLICY_ARN },
      child,
    );
    this.hookArn = fn.arn;
    this.hookInvokeRoleArn = invokeRole.arn;
    this.trafficRoleArn = trafficRole.arn;
    this.registerOutputs({ hookArn: this.hookArn, trafficRoleArn: this.trafficRoleArn });
  }
}
