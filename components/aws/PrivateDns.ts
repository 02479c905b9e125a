import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateDnsArgs {
  /** `<region>.<domain>`. */
  readonly zoneName: string;
  readonly vpcId: pulumi.Input<string>;
  /** Service -> its load balancer, answered as an alias. */
  readonly services: Readonly<
    Record<
      string,
      { readonly dnsName: pulumi.Input<string>; readonly zoneId: pulumi.Input<string> }
    >
  >;
  /** Datastore node -> address. */
  readonly nodes: Readonly<Record<string, string>>;
}

/** The private hosted zone of the region domain: a record per service and per datastore node. */
export class PrivateDns extends pulumi.ComponentResource {
  public readonly zoneId: pulumi.Output<string>;

  constructor(name: string, args: PrivateDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:PrivateDns", name, {}, opts);
    const zone = new aws.route53.Zone(
      `${name}-zone`,
      {
        name: args.zoneName,
        vpcs: [{ vpcId: args.vpcId }],
        comment: "ci-platform: service and datastore names",
        forceDestroy: false,
      },
      { parent: this, protect: true },
    );
    for (const service of Object.keys(args.services).sort()) {
      const target = args.services[service]!;
      new aws.route53.Record(
        `${name}-${service}`,
        {
          zoneId: zone.zoneId,
          name: `${service}.${args.zoneName}`,
          type: "A",
          aliases: [{ name: target.dnsName, zoneId: target.zoneId, evaluateTargetHealth: true }],
        },
        { parent: this },
      );
    }
    for (const node of Object.keys(args.nodes).sort()) {
      new aws.route53.Record(
        `${name}-${node}`,
        {
          zoneId: zone.zoneId,
          name: `${node}.${args.zoneName}`,
          type: "A",
          ttl: 300,
          records: [args.nodes[node]!],
        },
        { parent: this },
      );
    }
    this.zoneId = zone.zoneId;
    this.registerOutputs({ zoneId: this.zoneId });
  }
}
