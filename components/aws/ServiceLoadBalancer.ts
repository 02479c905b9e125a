import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackApp } from "../config/types";
import { PRODUCTION_LISTENER_PORTS } from "../model/pins";
import { otherSlot, SLOTS, type Slot } from "../model/slots";

export interface ServiceLoadBalancerArgs {
  /** The service: its slot ports and health path. */
  readonly app: StackApp;
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: readonly pulumi.Input<string>[];
  readonly hostSecurityGroupId: pulumi.Input<string>;
  /** Who may reach the production listener. */
  readonly ingressCidrs: readonly string[];
  /** The test listener's port: the new revision before production traffic moves to it. */
  readonly testListenerPort: number;
  /** The operators' range: with the NAT addresses, the only sources the test listener answers. */
  readonly adminCidr: string;
  /**
   * Zone -> public address of its NAT gateway: the integration-test tasks run in the private
   * subnets and reach this internet-facing balancer through NAT.
   */
  readonly natPublicIps: Readonly<Record<string, pulumi.Input<string>>>;
  /** HTTPS on 443 with this certificate, and 80 redirecting to it. @default HTTP on 80 */
  readonly certificateArn?: string | undefined;
  readonly accessLogsBucket: pulumi.Input<string>;
}

/**
 * One service's Application Load Balancer: HTTP routing with health checks on the service's path
 * (an NLB would not check HTTP health or log requests). Two target groups, one per release slot's
 * port, which ECS fills with the tasks of each revision; a production listener rule (80, or 443
 * with a certificate) and a test listener rule, whose weights ECS moves during a blue/green
 * deployment. The instances accept both slot ports from this balancer only.
 */
export class ServiceLoadBalancer extends pulumi.ComponentResource {
  public readonly dnsName: pulumi.Output<string>;
  public readonly zoneId: pulumi.Output<string>;
  /** `app/<name>/<id>`: the CloudWatch dimension of the balancer's metrics. */
  public readonly arnSuffix: pulumi.Output<string>;
  /** The group serving when the service is created (the live slot's), and the other one. */
  public readonly liveTargetGroupArn: pulumi.Output<string>;
  public readonly standbyTargetGroupArn: pulumi.Output<string>;
  public readonly productionRuleArn: pulumi.Output<string>;
  public readonly testRuleArn: pulumi.Output<string>;

  constructor(name: string, args: ServiceLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:ServiceLoadBalancer", name, {}, opts);
    const child = { parent: this };
    const { app } = args;
    const { http, https } = PRODUCTION_LISTENER_PORTS;
    const listenerPorts = args.certificateArn ? [http, https] : [http];
    const productionPort = args.certificateArn ? https : http;
    const sg = new aws.ec2.SecurityGroup(
      `${name}-lb`,
      {
        vpcId: args.vpcId,
        description: `${app.name} load balancer: listeners from the ingress ranges`,
        tags: { Name: `${name}-lb` },
      },
      child,
    );
    const ingress = (id: string, port: number, cidr: pulumi.Input<string>, what: string): void => {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-lb-${id}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: cidr,
          description: what,
        },
        child,
      );
    };
    for (const port of listenerPorts) {
      args.ingressCidrs.forEach((cidr, i) =>
        ingress(`${port}-${i}`, port, cidr, `${app.name} listener ${port}`),
      );
    }
    ingress(
      "test-admin",
      args.testListenerPort,
      args.adminCidr,
      `${app.name} test listener, operators`,
    );
    for (const zone of Object.keys(args.natPublicIps).sort()) {
      const nat = pulumi.interpolate`${args.natPublicIps[zone]!}/32`;
      ingress(
        `test-nat-${zone}`,
        args.testListenerPort,
        nat,
        `${app.name} pre-integration tests via NAT`,
      );
      ingress(
        `${productionPort}-nat-${zone}`,
        productionPort,
        nat,
        `${app.name} post-integration tests via NAT`,
      );
    }
    // The balancer reaches the instances on both slots' ports: each revision publishes on one.
    for (const slot of SLOTS) {
      const port = app.slotPorts[slot];
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-lb-to-hosts-${slot}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: args.hostSecurityGroupId,
          description: `${app.name} ${slot} slot targets`,
        },
        child,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-hosts-from-lb-${slot}`,
        {
          securityGroupId: args.hostSecurityGroupId,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: sg.id,
          description: `${app.name} ${slot} slot from its load balancer`,
        },
        child,
      );
    }

    const lb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: "application",
        internal: false,
        securityGroups: [sg.id],
        subnets: [...args.publicSubnetIds],
        dropInvalidHeaderFields: true,
        accessLogs: { bucket: args.accessLogsBucket, prefix: app.name, enabled: true },
        tags: { Name: `${name}-alb`, "ci-platform:service": app.name },
      },
      child,
    );
    const slotTargets = (slot: Slot): aws.lb.TargetGroup =>
      new aws.lb.TargetGroup(
        `${name}-targets-${slot}`,
        {
          port: app.slotPorts[slot],
          protocol: "HTTP",
          targetType: "instance",
          vpcId: args.vpcId,
          deregistrationDelay: 30,
          healthCheck: {
            path: app.healthPath,
            port: "traffic-port",
            protocol: "HTTP",
            matcher: "200",
            interval: 15,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
          },
          tags: {
            Name: `${name}-targets-${slot}`,
            "ci-platform:service": app.name,
            "ci-platform:slot": slot,
          },
        },
        child,
      );
    const groups: Record<Slot, aws.lb.TargetGroup> = {
      blue: slotTargets("blue"),
      green: slotTargets("green"),
    };
    // Which group serves first: the live slot's, as the Docker hosts' listener had it, so moving
    // an estate changes no listener and traffic stays where it was. From the first deployment on,
    // ECS moves the rules' weights between the groups (and the service's primary group with them).
    const live = groups[app.liveSlot];
    const standby = groups[otherSlot(app.liveSlot)];
    // The default action is never reached (each listener's rule matches every path).
    const forwardLive = [{ type: "forward", targetGroupArn: live.arn }];
    const listener = (id: string, port: number, protocol: "HTTP" | "HTTPS"): aws.lb.Listener =>
      new aws.lb.Listener(
        `${name}-${id}`,
        {
          loadBalancerArn: lb.arn,
          port,
          protocol,
          ...(protocol === "HTTPS"
            ? {
                sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
                certificateArn: args.certificateArn,
              }
            : {}),
          defaultActions: forwardLive,
        },
        // Created at the first live slot; later releases flip liveSlot, which this must not follow.
        { ...child, ignoreChanges: ["defaultActions"] },
      );
    const production = args.certificateArn
      ? listener("https", https, "HTTPS")
      : listener("http", http, "HTTP");
    if (args.certificateArn) {
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: lb.arn,
          port: http,
          protocol: "HTTP",
          defaultActions: [
            {
              type: "redirect",
              redirect: { port: String(https), protocol: "HTTPS", statusCode: "HTTP_301" },
            },
          ],
        },
        child,
      );
    }
    const test = listener("test", args.testListenerPort, "HTTP");
    // ECS owns these rules' weights from the first deployment on: it moves them to the new
    // revision's group and leaves them there, so an `up` must not put them back.
    const rule = (id: string, on: aws.lb.Listener): aws.lb.ListenerRule =>
      new aws.lb.ListenerRule(
        `${name}-${id}-rule`,
        {
          listenerArn: on.arn,
          priority: 1,
          conditions: [{ pathPattern: { values: ["/*"] } }],
          actions: [
            {
              type: "forward",
              forward: {
                targetGroups: [
                  { arn: live.arn, weight: 100 },
                  { arn: standby.arn, weight: 0 },
                ],
              },
            },
          ],
        },
        { ...child, ignoreChanges: ["actions"] },
      );
    this.productionRuleArn = rule("production", production).arn;
    this.testRuleArn = rule("test", test).arn;
    this.liveTargetGroupArn = live.arn;
    this.standbyTargetGroupArn = standby.arn;
    this.arnSuffix = lb.arnSuffix;
    this.dnsName = lb.dnsName;
    this.zoneId = lb.zoneId;
    this.registerOutputs({ dnsName: this.dnsName, zoneId: this.zoneId });
  }
}
