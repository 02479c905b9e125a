import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, planZoneSubnets } from "./aws-render";

export interface ProductionNetworkArgs {
  /** The VPC's address range. */
  readonly vpcCidr: string;
  /** Three availability zones of the region. */
  readonly availabilityZones: readonly string[];
  /** `<region>.<domain>`: the DHCP domain name, so hosts resolve plain node names. */
  readonly regionDomain: string;
  /** One NAT gateway, or one per zone. */
  readonly natGateways: "single" | "perZone";
  /** Days flow logs are kept. */
  readonly flowLogRetentionDays: number;
}

/**
 * The production VPC: a public subnet (load balancers, NAT) and a private subnet (hosts) per zone,
 * the region domain as DHCP search path, NAT for outbound traffic, and flow logs.
 */
export class ProductionNetwork extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  /** Zone -> public subnet id. */
  public readonly publicSubnetIds: Record<string, pulumi.Output<string>>;
  /** Zone -> private subnet id. */
  public readonly privateSubnetIds: Record<string, pulumi.Output<string>>;
  /** Zone of each NAT gateway -> its public address: what the private subnets' traffic leaves as. */
  public readonly natPublicIps: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: ProductionNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:ProductionNetwork", name, {}, opts);
    const child = { parent: this };
    const tags = (role: string): Record<string, string> => ({ Name: `${name}-${role}` });
    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.vpcCidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: tags("vpc"),
      },
      child,
    );
    const dhcp = new aws.ec2.VpcDhcpOptions(
      `${name}-dhcp`,
      {
        domainName: args.regionDomain,
        domainNameServers: ["AmazonProvidedDNS"],
        tags: tags("dhcp"),
      },
      child,
    );
    new aws.ec2.VpcDhcpOptionsAssociation(
      `${name}-dhcp-association`,
      { vpcId: vpc.id, dhcpOptionsId: dhcp.id },
      child,
    );
    const igw = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: vpc.id, tags: tags("igw") },
      child,
    );
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public-routes`,
      {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: tags("public-routes"),
      },
      child,
    );

    this.publicSubnetIds = {};
    this.privateSubnetIds = {};
    this.natPublicIps = {};
    let sharedNat: aws.ec2.NatGateway | undefined;
    for (const plan of planZoneSubnets(args.vpcCidr, args.availabilityZones)) {
      const zone = plan.zone;
      const pub = new aws.ec2.Subnet(
        `${name}-public-${zone}`,
        {
          vpcId: vpc.id,
          cidrBlock: plan.publicCidr,
          availabilityZone: zone,
          mapPublicIpOnLaunch: false,
          tags: tags(`public-${zone}`),
        },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${zone}`,
        { subnetId: pub.id, routeTableId: publicRoutes.id },
        child,
      );
      const priv = new aws.ec2.Subnet(
        `${name}-private-${zone}`,
        {
          vpcId: vpc.id,
          cidrBlock: plan.privateCidr,
          availabilityZone: zone,
          mapPublicIpOnLaunch: false,
          tags: tags(`private-${zone}`),
        },
        child,
      );
      let nat = sharedNat;
      if (!nat) {
        const eip = new aws.ec2.Eip(
          `${name}-nat-${zone}`,
          { domain: "vpc", tags: tags(`nat-${zone}`) },
          child,
        );
        nat = new aws.ec2.NatGateway(
          `${name}-nat-${zone}`,
          { allocationId: eip.id, subnetId: pub.id, tags: tags(`nat-${zone}`) },
          { ...child, dependsOn: [igw] },
        );
        this.natPublicIps[zone] = eip.publicIp;
        if (args.natGateways === "single") sharedNat = nat;
      }
      const privateRoutes = new aws.ec2.RouteTable(
        `${name}-private-routes-${zone}`,
        {
          vpcId: vpc.id,
          routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
          tags: tags(`private-routes-${zone}`),
        },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${zone}`,
        { subnetId: priv.id, routeTableId: privateRoutes.id },
        child,
      );
      this.publicSubnetIds[zone] = pub.id;
      this.privateSubnetIds[zone] = priv.id;
    }

    const flowLogs = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { retentionInDays: args.flowLogRetentionDays, tags: tags("flow-logs") },
      { ...child, retainOnDelete: true },
    );
    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        assumeRolePolicy: assumeRolePolicy("vpc-flow-logs.amazonaws.com"),
        tags: tags("flow-logs"),
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowLogRole.id,
        policy: flowLogs.arn.apply((arn) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [arn, `${arn}:*`],
              },
            ],
          }),
        ),
      },
      child,
    );
    new aws.ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId: vpc.id,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: flowLogs.arn,
        iamRoleArn: flowLogRole.arn,
        tags: tags("flow-log"),
      },
      child,
    );

    this.vpcId = vpc.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
