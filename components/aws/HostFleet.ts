import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { HostClassConfig } from "../config/types";
import { assumeRolePolicy } from "./aws-render";
import { renderEcsUserData } from "./ecs-render";

export interface HostFleetArgs {
  readonly vpcId: pulumi.Input<string>;
  /** Zone -> private subnet id. */
  readonly privateSubnetIds: Readonly<Record<string, pulumi.Input<string>>>;
  readonly availabilityZones: readonly string[];
  readonly hostClasses: readonly HostClassConfig[];
  /** The ECS cluster's name (see clusterName). */
  readonly clusterName: string;
  readonly registry: string;
  readonly registryCaCert: string;
}

/** The AWS-managed policy the ECS agent needs on its instance (register, poll, report state). */
export const ECS_INSTANCE_POLICY_ARN =
  "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";

/**
 * The elastic pool the services run on: an ECS cluster and, per host class, an Auto Scaling group
 * of ECS-optimised instances over the three zones' private subnets, behind a capacity provider
 * with managed scaling (instances start when tasks cannot be placed and stop when idle) and
 * managed termination protection (an instance running tasks is drained before it goes).
 * IMDSv2 is required with a hop limit of 1, so bridge-mode containers (one hop further) cannot
 * reach the instance's credentials; no instance gets a public address.
 */
export class HostFleet extends pulumi.ComponentResource {
  public readonly clusterArn: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  /** Every instance's security group: service ports are opened to their load balancer only. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Host class -> its capacity provider's name. */
  public readonly capacityProviders: Readonly<Record<string, pulumi.Output<string>>>;
  /** The providers' association with the cluster: services placed on them wait for it. */
  public readonly capacityAssociation: aws.ecs.ClusterCapacityProviders;

  constructor(name: string, args: HostFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:HostFleet", name, {}, opts);
    const child = { parent: this };
    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      {
        name: args.clusterName,
        settings: [{ name: "containerInsights", value: "enabled" }],
        tags: { Name: args.clusterName },
      },
      child,
    );
    const sg = new aws.ec2.SecurityGroup(
      `${name}-hosts`,
      {
        vpcId: args.vpcId,
        description: "ECS container instances: service ports from their load balancers only",
        tags: { Name: `${name}-hosts` },
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-hosts-egress`,
      {
        securityGroupId: sg.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "image pulls, the ECS and CloudWatch APIs, through NAT",
      },
      child,
    );
    const role = new aws.iam.Role(
      `${name}-host`,
      { assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"), tags: { Name: `${name}-host` } },
      child,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-host-ecs`,
      { role: role.name, policyArn: ECS_INSTANCE_POLICY_ARN },
      child,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-host`, { role: role.name }, child);
    const userData = Buffer.from(
      renderEcsUserData({
        cluster: args.clusterName,
        registry: args.registry,
        registryCaCert: args.registryCaCert,
      }),
    ).toString("base64");

    const capacityProviders: Record<string, pulumi.Output<string>> = {};
    for (const hostClass of args.hostClasses) {
      const template = new aws.ec2.LaunchTemplate(
        `${name}-${hostClass.name}`,
        {
          imageId: hostClass.ami,
          instanceType: hostClass.instanceType,
          userData,
          updateDefaultVersion: true,
          iamInstanceProfile: { arn: profile.arn },
          networkInterfaces: [
            {
              deviceIndex: 0,
              associatePublicIpAddress: "false",
              deleteOnTermination: "true",
              securityGroups: [sg.id],
            },
          ],
          metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
          },
          blockDeviceMappings: [
            {
              deviceName: "/dev/xvda",
              ebs: {
                volumeSize: hostClass.rootVolumeGb,
                volumeType: "gp3",
                encrypted: "true",
                deleteOnTermination: "true",
              },
            },
          ],
          tagSpecifications: [
            {
              resourceType: "instance",
              tags: { Name: `${name}-${hostClass.name}`, "ci-platform:class": hostClass.name },
            },
            { resourceType: "volume", tags: { "ci-platform:class": hostClass.name } },
          ],
        },
        child,
      );
      const group = new aws.autoscaling.Group(
        `${name}-${hostClass.name}`,
        {
          vpcZoneIdentifiers: args.availabilityZones.map((zone) => args.privateSubnetIds[zone]!),
          minSize: hostClass.minSize,
          maxSize: hostClass.maxSize,
          launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
          // Managed termination protection: only ECS takes an instance out, once it runs no task.
          protectFromScaleIn: true,
          healthCheckType: "EC2",
          tags: [
            { key: "AmazonECSManaged", value: "", propagateAtLaunch: true },
            { key: "ci-platform:class", value: hostClass.name, propagateAtLaunch: true },
            {
              key: "ci-platform:services",
              value: hostClass.services.join(" "),
              propagateAtLaunch: false,
            },
          ],
        },
        // The capacity provider sets the desired capacity; an `up` must not reset it.
        { ...child, ignoreChanges: ["desiredCapacity"] },
      );
      const provider = new aws.ecs.CapacityProvider(
        `${name}-${hostClass.name}`,
        {
          name: `${args.clusterName}-${hostClass.name}`,
          autoScalingGroupProvider: {
            autoScalingGroupArn: group.arn,
            managedTerminationProtection: "ENABLED",
            managedDraining: "ENABLED",
            managedScaling: {
              status: "ENABLED",
              targetCapacity: hostClass.targetCapacityPercent,
              minimumScalingStepSize: 1,
              maximumScalingStepSize: Math.max(1, Math.ceil(hostClass.maxSize / 3)),
              instanceWarmupPeriod: 300,
            },
          },
        },
        child,
      );
      capacityProviders[hostClass.name] = provider.name;
    }
    const names = Object.keys(capacityProviders).sort();
    this.capacityAssociation = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      {
        clusterName: cluster.name,
        capacityProviders: names.map((n) => capacityProviders[n]!),
        // Where tasks started without a strategy (the integration tests) run.
        defaultCapacityProviderStrategies: [
          { capacityProvider: capacityProviders[names[0]!]!, weight: 1, base: 0 },
        ],
      },
      child,
    );
    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;
    this.securityGroupId = sg.id;
    this.capacityProviders = capacityProviders;
    this.registerOutputs({
      clusterArn: this.clusterArn,
      securityGroupId: this.securityGroupId,
      capacityProviders,
    });
  }
}
