import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { renderDaemonJson } from "../ci-host/ci-host-render";
import type { HostClassConfig } from "../config/types";
import { assumeRolePolicy, hostName, renderUserData } from "./aws-render";

export interface HostFleetArgs {
  readonly vpcId: pulumi.Input<string>;
  /** Zone -> private subnet id. */
  readonly privateSubnetIds: Readonly<Record<string, pulumi.Input<string>>>;
  readonly availabilityZones: readonly string[];
  readonly hostClasses: readonly HostClassConfig[];
  /** Where SSH may come from. */
  readonly adminCidr: string;
  readonly registry: string;
  readonly registryCaCert: string;
}

export interface FleetHost {
  readonly name: string;
  readonly hostClass: HostClassConfig;
  readonly zone: string;
  readonly instance: aws.ec2.Instance;
}

/**
 * The Docker hosts: per class, `countPerZone` instances in every zone from one launch template.
 * IMDSv2 is required with a hop limit of 1, so containers on a Docker bridge (one hop further)
 * cannot reach instance credentials; the instance role grants nothing, so there are none to take.
 */
export class HostFleet extends pulumi.ComponentResource {
  public readonly hosts: FleetHost[] = [];
  /** Every host's security group: service ports are opened to their load balancer only. */
  public readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: HostFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:HostFleet", name, {}, opts);
    const child = { parent: this };
    const sg = new aws.ec2.SecurityGroup(
      `${name}-hosts`,
      {
        vpcId: args.vpcId,
        description:
          "Docker hosts: service ports from their load balancers, SSH from the admin range",
        tags: { Name: `${name}-hosts` },
      },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-hosts-ssh`,
      {
        securityGroupId: sg.id,
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrIpv4: args.adminCidr,
        description: "SSH from the admin range",
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-hosts-egress`,
      {
        securityGroupId: sg.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "image pulls and updates through NAT",
      },
      child,
    );
    const role = new aws.iam.Role(
      `${name}-host`,
      { assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"), tags: { Name: `${name}-host` } },
      child,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-host`, { role: role.name }, child);
    const userData = Buffer.from(
      renderUserData({
        daemonJson: renderDaemonJson(),
        registry: args.registry,
        registryCaCert: args.registryCaCert,
      }),
    ).toString("base64");
    const metadataOptions = {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    };

    for (const hostClass of args.hostClasses) {
      const template = new aws.ec2.LaunchTemplate(
        `${name}-${hostClass.name}`,
        {
          imageId: hostClass.ami,
          instanceType: hostClass.instanceType,
          userData,
          iamInstanceProfile: { arn: profile.arn },
          vpcSecurityGroupIds: [sg.id],
          metadataOptions,
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
            { resourceType: "volume", tags: { "ci-platform:class": hostClass.name } },
          ],
        },
        child,
      );
      for (const zone of args.availabilityZones) {
        for (let ordinal = 1; ordinal <= hostClass.countPerZone; ordinal++) {
          const host = hostName(hostClass.name, zone, ordinal);
          const instance = new aws.ec2.Instance(
            `${name}-${host}`,
            {
              launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
              subnetId: args.privateSubnetIds[zone]!,
              metadataOptions,
              rootBlockDevice: {
                encrypted: true,
                volumeSize: hostClass.rootVolumeGb,
                volumeType: "gp3",
              },
              tags: {
                Name: host,
                "ci-platform:class": hostClass.name,
                "ci-platform:services": hostClass.services.join(" "),
              },
            },
            child,
          );
          this.hosts.push({ name: host, hostClass, zone, instance });
        }
      }
    }
    this.securityGroupId = sg.id;
    this.registerOutputs({ securityGroupId: this.securityGroupId });
  }
}
