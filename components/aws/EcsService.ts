import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { APP_CONTAINER_PORT } from "../catalog/catalog";
import type { ReleaseConfig, ServiceScalingConfig, StackApp } from "../config/types";
import {
  APP_CONTAINER,
  appContainerDefinitions,
  ecsServiceName,
  ROLLBACK_ALARMS,
  taskFamily,
  testContainerDefinitions,
  type TaskSettings,
} from "./ecs-render";
import { renderHookDetails, SUITE_STAGES, type TestSuite } from "./integration-hook/hook-details";

export interface EcsServiceArgs {
  readonly app: StackApp;
  readonly stack: string;
  readonly region: string;
  /** `<region>.<domain>`: the resolver search path. */
  readonly regionDomain: string;
  /** Where the tests reach the service: its test listener, and its production listener. */
  readonly testBaseUrl: string;
  readonly productionBaseUrl: string;
  readonly registry: string;
  readonly clusterArn: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  /** The capacity provider of the host class the app runs on. */
  readonly capacityProvider: pulumi.Input<string>;
  readonly zoneCount: number;
  readonly scaling: ServiceScalingConfig;
  readonly release: ReleaseConfig;
  readonly execution: {
    readonly roleArn: pulumi.Input<string>;
    readonly registryCredentialsArn: pulumi.Input<string>;
    readonly logGroup: pulumi.Input<string>;
  };
  readonly loadBalancer: {
    readonly arnSuffix: pulumi.Input<string>;
    readonly liveTargetGroupArn: pulumi.Input<string>;
    readonly standbyTargetGroupArn: pulumi.Input<string>;
    readonly productionRuleArn: pulumi.Input<string>;
    readonly testRuleArn: pulumi.Input<string>;
  };
  readonly deployments: {
    readonly hookArn: pulumi.Input<string>;
    readonly hookInvokeRoleArn: pulumi.Input<string>;
    readonly trafficRoleArn: pulumi.Input<string>;
  };
}

/**
 * One app on ECS: its task definition (the version's image on the live slot's port), a test task
 * definition (the same image running `ci-test live`), the service with blue/green deployments
 * (pre-integration tests on the test listener, post-integration tests on 80, bake time, circuit
 * breaker and alarms that roll back), and Application Auto Scaling on CPU.
 * A version change touches only the two task definitions and the service.
 */
export class EcsService extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly taskDefinitionArn: pulumi.Output<string>;

  constructor(name: string, args: EcsServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:EcsService", name, {}, opts);
    const child = { parent: this };
    const { app, scaling, release } = args;
    if (app.version === undefined)
      throw new Error(`services.apps.${app.name}.version is not set (validation requires it)`);
    const settings = pulumi
      .all([args.execution.registryCredentialsArn, args.execution.logGroup])
      .apply(([registryCredentialsArn, logGroup]): TaskSettings => ({
        app,
        image: `${args.registry}/${app.name}:${app.version}`,
        registryCredentialsArn,
        logGroup,
        region: args.region,
        regionDomain: args.regionDomain,
        appEnv: args.stack,
      }));
    const tags = { "ci-platform:service": app.name, "ci-platform:version": app.version };
    // Every revision stays registered (skipDestroy): ECS rolls back to the previous one.
    const task = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: taskFamily(args.stack, app.name),
        networkMode: "bridge",
        requiresCompatibilities: ["EC2"],
        executionRoleArn: args.execution.roleArn,
        containerDefinitions: settings.apply(appContainerDefinitions),
        skipDestroy: true,
        tags,
      },
      child,
    );
    const tests = new aws.ecs.TaskDefinition(
      `${name}-tests-task`,
      {
        family: taskFamily(args.stack, app.name, true),
        networkMode: "bridge",
        requiresCompatibilities: ["EC2"],
        executionRoleArn: args.execution.roleArn,
        containerDefinitions: settings.apply(testContainerDefinitions),
        skipDestroy: true,
        tags,
      },
      child,
    );
    const alarms = ROLLBACK_ALARMS.map(
      (alarm) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-${alarm.id}`,
          {
            name: `${args.stack}-${app.name}-${alarm.id}`,
            alarmDescription: `${app.name}: ${alarm.description}; ECS rolls a deployment back while it fires`,
            namespace: "AWS/ApplicationELB",
            metricName: alarm.metricName,
            dimensions: { LoadBalancer: args.loadBalancer.arnSuffix },
            statistic: "Sum",
            period: 60,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            threshold: release.max5xxPerMinute,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            tags: { "ci-platform:service": app.name },
          },
          child,
        ),
    );
    const hook = (suite: TestSuite, url: string) => ({
      hookTargetArn: args.deployments.hookArn,
      roleArn: args.deployments.hookInvokeRoleArn,
      lifecycleStages: [SUITE_STAGES[suite]],
      hookDetails: pulumi.all([args.clusterArn, tests.arn]).apply(([cluster, taskDefinition]) =>
        renderHookDetails({
          suite,
          baseUrl: url,
          cluster,
          taskDefinition,
          timeoutSeconds: release.testTimeoutMinutes * 60,
        }),
      ),
    });
    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        name: ecsServiceName(app.name),
        cluster: args.clusterArn,
        taskDefinition: task.arn,
        desiredCount: scaling.desiredPerZone * args.zoneCount,
        capacityProviderStrategies: [
          { capacityProvider: args.capacityProvider, weight: 1, base: 0 },
        ],
        orderedPlacementStrategies: [
          { type: "spread", field: "attribute:ecs.availability-zone" },
          { type: "spread", field: "instanceId" },
        ],
        loadBalancers: [
          {
            targetGroupArn: args.loadBalancer.liveTargetGroupArn,
            containerName: APP_CONTAINER,
            containerPort: APP_CONTAINER_PORT,
            advancedConfiguration: {
              alternateTargetGroupArn: args.loadBalancer.standbyTargetGroupArn,
              productionListenerRule: args.loadBalancer.productionRuleArn,
              testListenerRule: args.loadBalancer.testRuleArn,
              roleArn: args.deployments.trafficRoleArn,
            },
          },
        ],
        healthCheckGracePeriodSeconds: 60,
        deploymentConfiguration: {
          strategy: "BLUE_GREEN",
          bakeTimeInMinutes: String(release.bakeMinutes),
          lifecycleHooks: [
            hook("pre-integration", args.testBaseUrl),
            hook("post-integration", args.productionBaseUrl),
          ],
        },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        alarms: { alarmNames: alarms.map((a) => a.name), enable: true, rollback: true },
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        // `up` reports a deployment that failed (and was rolled back) instead of returning early.
        waitForSteadyState: true,
        tags,
      },
      {
        ...child,
        // Auto scaling owns the task count; ECS owns which target group is production after each
        // deployment (hashicorp/terraform-provider-aws#45678): an `up` must reset neither.
        ignoreChanges: ["desiredCount", "loadBalancers"],
      },
    );
    const resourceId = pulumi.interpolate`service/${args.clusterName}/${service.name}`;
    const target = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: "ecs",
        scalableDimension: "ecs:service:DesiredCount",
        resourceId,
        minCapacity: scaling.minPerZone * args.zoneCount,
        maxCapacity: scaling.maxPerZone * args.zoneCount,
      },
      child,
    );
    new aws.appautoscaling.Policy(
      `${name}-cpu`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: {
            predefinedMetricType: "ECSServiceAverageCPUUtilization",
          },
          targetValue: scaling.cpuTargetPercent,
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
        },
      },
      child,
    );
    this.serviceName = service.name;
    this.taskDefinitionArn = task.arn;
    this.registerOutputs({
      serviceName: this.serviceName,
      taskDefinitionArn: this.taskDefinitionArn,
    });
  }
}
