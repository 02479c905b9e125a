import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { planZoneSubnets } from "./aws-render";

export interface ProductionNetworkArgs {
  /** The VPC's address range. */
  readonly vpcCidr: string;
  /** Three availability zones of the region. */
  readonly availabilityZones: readonly string[];
  /** `<region>.<domain>`: the DHCP domain name, so hosts resolve plain node names. */
  readonly regionDomain: string;
  /** Tags for every resource. */
  readonly tags: Readonly<Record<string, string>>;
}

/** The production VPC: public and private subnets per zone, and the region domain as search path. */
export class ProductionNetwork extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly publicSubnetIds: pulumi.Output<string>[];
  public readonly privateSubnetIds: pulumi.Output<string>[];

  constructor(name: string, args: ProductionNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:ProductionNetwork", name, {}, opts);
    const tags = (role: string): Record<string, string> => ({
      ...args.tags,
      Name: `${name}-${role}`,
    });
    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.vpcCidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: tags("vpc"),
      },
      { parent: this },
    );
    const dhcp = new aws.ec2.VpcDhcpOptions(
      `${name}-dhcp`,
      {
        domainName: args.regionDomain,
        domainNameServers: ["AmazonProvidedDNS"],
        tags: tags("dhcp"),
      },
      { parent: this },
    );
    new aws.ec2.VpcDhcpOptionsAssociation(
      `${name}-dhcp-association`,
      { vpcId: vpc.id, dhcpOptionsId: dhcp.id },
      { parent: this },
    );
    this.publicSubnetIds = [];
    this.privateSubnetIds = [];
    for (const plan of planZoneSubnets(args.vpcCidr, args.availabilityZones)) {
      const pub = new aws.ec2.Subnet(
        `${name}-public-${plan.zone}`,
        {
          vpcId: vpc.id,
          cidrBlock: plan.publicCidr,
          availabilityZone: plan.zone,
          tags: tags(`public-${plan.zone}`),
        },
        { parent: this },
      );
      const priv = new aws.ec2.Subnet(
        `${name}-private-${plan.zone}`,
        {
          vpcId: vpc.id,
          cidrBlock: plan.privateCidr,
          availabilityZone: plan.zone,
          tags: tags(`private-${plan.zone}`),
        },
        { parent: this },
      );
      this.publicSubnetIds.push(pub.id);
      this.privateSubnetIds.push(priv.id);
    }
    this.vpcId = vpc.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
