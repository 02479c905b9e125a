import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackApp } from "../config/types";
import { SLOTS, type Slot } from "../release/slots";
import type { FleetHost } from "./HostFleet";

export interface ServiceLoadBalancerArgs {
  /** The service: its slot ports, health path and live slot. */
  readonly app: StackApp;
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: readonly pulumi.Input<string>[];
  /** The hosts the service runs on. */
  readonly hosts: readonly FleetHost[];
  readonly hostSecurityGroupId: pulumi.Input<string>;
  /** Who may reach the listeners. */
  readonly ingressCidrs: readonly string[];
  /** HTTPS on 443 with this certificate, and 80 redirecting to it. @default HTTP on 80 */
  readonly certificateArn?: string | undefined;
  readonly accessLogsBucket: pulumi.Input<string>;
}

/**
 * One service's Application Load Balancer: HTTP routing with health checks on the service's path
 * (an NLB would not check HTTP health or log requests). Each release slot has a target group of
 * every host on the slot's port, and the hosts accept both slot ports from this balancer only.
 * Listener 80 (443 with a certificate) forwards to the live slot's group, so switching slots is an
 * in-place update of that listener.
 */
export class ServiceLoadBalancer extends pulumi.ComponentResource {
  public readonly dnsName: pulumi.Output<string>;
  public readonly zoneId: pulumi.Output<string>;

  constructor(name: string, args: ServiceLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:ServiceLoadBalancer", name, {}, opts);
    const child = { parent: this };
    const { app } = args;
    const listenerPorts = args.certificateArn ? [80, 443] : [80];
    const sg = new aws.ec2.SecurityGroup(
      `${name}-lb`,
      {
        vpcId: args.vpcId,
        description: `${app.name} load balancer: listeners from the ingress ranges`,
        tags: { Name: `${name}-lb` },
      },
      child,
    );
    for (const port of listenerPorts) {
      args.ingressCidrs.forEach((cidr, i) => {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-lb-${port}-${i}`,
          {
            securityGroupId: sg.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            cidrIpv4: cidr,
            description: `${app.name} listener ${port}`,
          },
          child,
        );
      });
    }
    // The balancer reaches the hosts on both slots' ports, so either slot can go live.
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
    const slotTargets = (slot: Slot): aws.lb.TargetGroup => {
      const port = app.slotPorts[slot];
      const group = new aws.lb.TargetGroup(
        `${name}-targets-${slot}`,
        {
          port,
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
      for (const host of args.hosts) {
        new aws.lb.TargetGroupAttachment(
          `${name}-${host.name}-${slot}`,
          { targetGroupArn: group.arn, targetId: host.instance.id, port },
          child,
        );
      }
      return group;
    };
    const targetGroups: Record<Slot, aws.lb.TargetGroup> = {
      blue: slotTargets("blue"),
      green: slotTargets("green"),
    };
    // A switch changes only this: the listener's forward moves to the other slot's group.
    const live = targetGroups[app.liveSlot];
    if (args.certificateArn) {
      new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: lb.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
          certificateArn: args.certificateArn,
          defaultActions: [{ type: "forward", targetGroupArn: live.arn }],
        },
        child,
      );
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: lb.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: [
            {
              type: "redirect",
              redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" },
            },
          ],
        },
        child,
      );
    } else {
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: lb.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: [{ type: "forward", targetGroupArn: live.arn }],
        },
        child,
      );
    }
    this.dnsName = lb.dnsName;
    this.zoneId = lb.zoneId;
    this.registerOutputs({ dnsName: this.dnsName, zoneId: this.zoneId });
  }
}
