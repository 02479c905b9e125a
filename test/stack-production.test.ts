/**
 * The production stack under mocks at full scale, with the real Pulumi.production.yaml:
 * 25 services x 2 hosts x 3 zones; then its blue-green releases, with that file edited in memory.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { slotPorts } from "../components/release/slots";
import type { Evaluation, PlannedResource } from "../tools/plan/evaluate";
import { renderPlanJson } from "../tools/plan/render";
import { diffPlans, type PlanDiff } from "../tools/review/plan-diff";
import { parsePlanDocument } from "../tools/review/plan-files";
import type { StackFileConfig } from "../tools/plan/stack-file";
import { editedStackConfig, evaluateStack, findResource } from "./mocks";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const SERVICES = 25;
const HOSTS = 2 * ZONES.length;
const NODES = 8;

const HOST_NAMES = ZONES.flatMap((zone) => [1, 2].map((n) => `app-${zone}-${n}`));

const ofType = (plan: Evaluation, type: string): PlannedResource[] =>
  plan.resources.filter((r) => r.type === type);

const T = {
  container: "docker:index/container:Container",
  image: "docker:index/remoteImage:RemoteImage",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  attachment: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  listener: "aws:lb/listener:Listener",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
} as const;

const targetGroupArn = (name: string): string => `arn:mock:${T.targetGroup}:${name}`;

/**
 * Evaluates the program for `config` (default: the committed file). The program runs on its
 * module's first import only, so each evaluation gets a fresh module registry; evaluations run one
 * at a time (the SDK's runtime is global).
 */
async function evaluateProduction(config?: StackFileConfig): Promise<Evaluation> {
  vi.resetModules();
  return evaluateStack("production", config);
}

/** The committed file's plan, evaluated once for both suites. */
let committedPlan: Promise<Evaluation> | undefined;
const committed = (): Promise<Evaluation> => (committedPlan ??= evaluateProduction());

describe("production stack under mocks, with Pulumi.production.yaml", () => {
  let plan: Evaluation;
  beforeAll(async () => {
    plan = await committed();
  }, 60_000);

  it("declares the full estate: exact counts per resource type", () => {
    const counts = (type: string): number => ofType(plan, type).length;
    expect(counts("aws:ec2/instance:Instance")).toBe(HOSTS);
    expect(counts("aws:lb/loadBalancer:LoadBalancer")).toBe(SERVICES);
    // Two release slots per service, each with a target group of every host.
    expect(counts(T.targetGroup)).toBe(SERVICES * 2);
    expect(counts(T.listener)).toBe(SERVICES);
    expect(counts(T.attachment)).toBe(SERVICES * HOSTS * 2);
    expect(counts(T.egress)).toBe(SERVICES * 2 + 1);
    expect(counts("aws:route53/record:Record")).toBe(SERVICES + NODES);
    // No service has an idleVersion in the committed file: only the live slot runs.
    expect(counts(T.container)).toBe(SERVICES * HOSTS);
    expect(counts(T.image)).toBe(SERVICES * HOSTS);
    expect(counts("pulumi:providers:docker")).toBe(HOSTS);
    expect(counts("aws:ec2/subnet:Subnet")).toBe(2 * ZONES.length);
    expect(counts("aws:ec2/natGateway:NatGateway")).toBe(ZONES.length);
    expect(counts("aws:ec2/flowLog:FlowLog")).toBe(1);
  });

  it("requires IMDSv2 with hop limit 1 and encrypted volumes on every instance and template", () => {
    for (const r of [
      ...ofType(plan, "aws:ec2/instance:Instance"),
      ...ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate"),
    ]) {
      expect(r.inputs["metadataOptions"], r.name).toMatchObject({
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
      });
    }
    for (const r of ofType(plan, "aws:ec2/instance:Instance")) {
      expect(r.inputs["rootBlockDevice"], r.name).toMatchObject({ encrypted: true });
    }
    for (const r of ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate")) {
      const [mapping] = r.inputs["blockDeviceMappings"] as { ebs: { encrypted: string } }[];
      expect(mapping?.ebs.encrypted).toBe("true");
    }
  });

  it("forwards every listener's port 80 to its own service's live (blue) slot", () => {
    const services = plan.outputs["services"] as Record<string, { hostPort: number }>;
    for (const listener of ofType(plan, T.listener)) {
      const service = /^prod-(.+)-http$/.exec(listener.name)![1]!;
      expect(listener.inputs["port"]).toBe(80);
      expect(listener.inputs["defaultActions"]).toEqual([
        { targetGroupArn: targetGroupArn(`prod-${service}-targets-blue`), type: "forward" },
      ]);
      const ports = slotPorts(services[service]!.hostPort);
      for (const slot of ["blue", "green"] as const) {
        const targets = findResource(plan, T.targetGroup, `prod-${service}-targets-${slot}`);
        expect(targets.inputs["port"], targets.name).toBe(ports[slot]);
        expect(targets.inputs["healthCheck"], targets.name).toMatchObject({
          path: "/health",
          matcher: "200",
          port: "traffic-port",
        });
      }
    }
    expect(new Set(Object.values(services).map((s) => s.hostPort)).size).toBe(SERVICES);
  });

  it("attaches every host to both slots' target groups on the slot ports", () => {
    for (const slot of ["blue", "green"] as const) {
      for (const host of HOST_NAMES) {
        expect(
          findResource(plan, T.attachment, `prod-api-${host}-${slot}`).inputs,
          `${host} ${slot}`,
        ).toEqual({
          targetGroupArn: targetGroupArn(`prod-api-targets-${slot}`),
          targetId: `prod-${host}-id`,
          port: slotPorts(5060)[slot],
        });
      }
    }
    expect(ofType(plan, T.attachment).filter((a) => a.name.startsWith("prod-api-"))).toHaveLength(
      HOSTS * 2,
    );
  });

  it("names every record <name>.<region>.<domain> in a protected private zone", () => {
    for (const record of ofType(plan, "aws:route53/record:Record")) {
      expect(record.inputs["name"]).toMatch(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.us-east-1\.example\.com$/,
      );
    }
    expect(
      findResource(plan, "aws:route53/record:Record", "prod-dns-mongodb-cluster-a-node-1").inputs,
    ).toMatchObject({
      name: "mongodb-cluster-a-node-1.us-east-1.example.com",
      records: ["10.20.192.11"],
    });
    expect(findResource(plan, "aws:route53/zone:Zone", "prod-dns-zone")).toMatchObject({
      protect: true,
      inputs: { name: "us-east-1.example.com" },
    });
  });

  it("opens nothing to 0.0.0.0/0 but the load balancers' listeners", () => {
    const open = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
      (r) => r.inputs["cidrIpv4"] === "0.0.0.0/0",
    );
    expect(open).toHaveLength(SERVICES);
    for (const rule of open) {
      expect(rule.name).toMatch(/^prod-[a-z0-9-]+-lb-80-0$/);
      expect(rule.inputs).toMatchObject({ fromPort: 80, toPort: 80 });
    }
    const ssh = findResource(
      plan,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      "prod-hosts-ssh",
    );
    expect(ssh.inputs).toMatchObject({ fromPort: 22, cidrIpv4: "10.255.0.0/24" });
    for (const [slot, port] of [
      ["blue", 6060],
      ["green", 7060],
    ] as const) {
      expect(findResource(plan, T.ingress, `prod-api-hosts-from-lb-${slot}`).inputs).toMatchObject({
        fromPort: port,
        toPort: port,
        securityGroupId: "prod-hosts-id",
        referencedSecurityGroupId: "prod-api-lb-id",
      });
      expect(findResource(plan, T.egress, `prod-api-lb-to-hosts-${slot}`).inputs).toMatchObject({
        fromPort: port,
        toPort: port,
        securityGroupId: "prod-api-lb-id",
        referencedSecurityGroupId: "prod-hosts-id",
      });
    }
  });

  it("lets the load balancers reach the hosts on the slot ports only, never the bare host port", () => {
    const services = plan.outputs["services"] as Record<string, { hostPort: number }>;
    const hostPorts = new Set(Object.values(services).map((s) => s.hostPort));
    const fromLbs = ofType(plan, T.ingress).filter((r) => /-hosts-from-lb-/.test(r.name));
    expect(fromLbs).toHaveLength(SERVICES * 2);
    for (const rule of [...fromLbs, ...ofType(plan, T.egress)]) {
      expect(hostPorts.has(rule.inputs["fromPort"] as number), rule.name).toBe(false);
    }
  });

  it("runs each service's live slot at its configured version on every host, on the slot's port", () => {
    const api = findResource(plan, T.container, "prod-app-us-east-1b-2-api-blue");
    expect(api.inputs).toMatchObject({
      name: "api-blue",
      image: "registry.example.com:5443/api:1.4.2@sha256:mock",
      ports: [{ external: 6060, internal: 5000, ip: "0.0.0.0", protocol: "tcp" }],
      dnsSearches: ["us-east-1.example.com"],
      envs: ["APP_ENV=production", "RELEASE_SLOT=blue"],
      restart: "unless-stopped",
    });
    expect(api.inputs["labels"]).toEqual(
      expect.arrayContaining([
        { label: "ci-platform.service", value: "api" },
        { label: "ci-platform.slot", value: "blue" },
        { label: "ci-platform.version", value: "1.4.2" },
      ]),
    );
    expect(api.deleteBeforeReplace).toBe(true);
    expect(findResource(plan, T.image, "prod-app-us-east-1b-2-api-blue").inputs).toEqual({
      name: "registry.example.com:5443/api:1.4.2",
      keepLocally: true,
    });
    expect(api.provider).toBe("prod-app-us-east-1b-2-docker");
    const provider = findResource(plan, "pulumi:providers:docker", "prod-app-us-east-1b-2-docker");
    expect(provider.inputs["sshOpts"]).toEqual([
      "-o",
      "BatchMode=yes",
      "-o",
      "ProxyJump=admin@bastion.us-east-1.example.com",
    ]);
    expect(provider.inputs["registryAuth"]).toBe("[secret]");
  });

  it("runs no idle slot without an idleVersion, and no container under the un-slotted names", () => {
    const names = new Set(ofType(plan, T.container).map((c) => c.name));
    for (const host of HOST_NAMES) {
      expect(names.has(`prod-${host}-api-blue`), host).toBe(true);
      expect(names.has(`prod-${host}-api-green`), host).toBe(false);
      expect(names.has(`prod-${host}-api`), host).toBe(false);
    }
    expect(ofType(plan, T.container).every((c) => c.name.endsWith("-blue"))).toBe(true);
    expect(ofType(plan, T.targetGroup).some((g) => g.name.endsWith("-targets"))).toBe(false);
  });

  it("keeps the access-log bucket private, encrypted, versioned and protected", () => {
    expect(findResource(plan, "aws:s3/bucket:Bucket", "prod-lb-logs").protect).toBe(true);
    expect(
      findResource(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "prod-lb-logs")
        .inputs,
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      findResource(plan, "aws:s3/bucketVersioning:BucketVersioning", "prod-lb-logs").inputs,
    ).toMatchObject({
      versioningConfiguration: { status: "Enabled" },
    });
    for (const lb of ofType(plan, "aws:lb/loadBalancer:LoadBalancer")) {
      expect(lb.inputs["accessLogs"]).toMatchObject({ bucket: "prod-lb-logs", enabled: true });
    }
  });

  it("puts the region domain in the hosts' resolver search path", () => {
    expect(
      findResource(plan, "aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "prod-dhcp").inputs,
    ).toMatchObject({
      domainName: "us-east-1.example.com",
    });
  });
});

/** The plan document the review tools diff, as `npm run plan -- --json` writes it. */
const planDocument = (evaluation: Evaluation): ReturnType<typeof parsePlanDocument> =>
  parsePlanDocument(renderPlanJson(evaluation), `the plan of ${evaluation.stack}`);

const changeList = (diff: PlanDiff): string[] =>
  diff.resources.map((r) => `${r.kind} ${r.type} ${r.name}`);

describe("production blue-green releases, with Pulumi.production.yaml edited in memory", () => {
  type Settings = Record<string, unknown>;
  const editApi = (edit: (api: Settings) => void, aws: Settings = {}): StackFileConfig =>
    editedStackConfig("production", (doc) => {
      const services = doc.config["ci-platform:services"] as { apps: Record<string, Settings> };
      edit(services.apps["api"]!);
      Object.assign(doc.config["ci-platform:aws"] as Settings, aws);
    });
  const switchApi = (api: Settings): void => {
    Object.assign(api, { liveSlot: "green", version: "1.5.0", idleVersion: "1.4.2" });
  };
  const CERTIFICATE =
    "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
  /** The file as committed: api 1.4.2 live in blue, green empty. */
  let before: Evaluation;
  /** api 1.5.0 deployed into the idle green slot for testing; blue still live. */
  let staged: Evaluation;
  /** The switch: green live at 1.5.0, blue idle at 1.4.2 for a rollback. */
  let switched: Evaluation;
  /** The same switch behind HTTPS listeners. */
  let switchedHttps: Evaluation;
  beforeAll(async () => {
    before = await committed();
    staged = await evaluateProduction(
      editApi((api) => {
        api["idleVersion"] = "1.5.0";
      }),
    );
    switched = await evaluateProduction(editApi(switchApi));
    switchedHttps = await evaluateProduction(editApi(switchApi, { certificateArn: CERTIFICATE }));
  }, 240_000);

  it("runs the idle slot at idleVersion on its own port beside the live slot", () => {
    for (const host of HOST_NAMES) {
      const blue = findResource(staged, T.container, `prod-${host}-api-blue`);
      const green = findResource(staged, T.container, `prod-${host}-api-green`);
      expect(blue.inputs).toMatchObject({
        name: "api-blue",
        image: "registry.example.com:5443/api:1.4.2@sha256:mock",
        ports: [{ external: 6060, internal: 5000 }],
        envs: ["APP_ENV=production", "RELEASE_SLOT=blue"],
      });
      expect(green.inputs).toMatchObject({
        name: "api-green",
        image: "registry.example.com:5443/api:1.5.0@sha256:mock",
        ports: [{ external: 7060, internal: 5000 }],
        envs: ["APP_ENV=production", "RELEASE_SLOT=green"],
      });
      expect(green.provider).toBe(`prod-${host}-docker`);
    }
    expect(ofType(staged, T.container)).toHaveLength(SERVICES * HOSTS + HOSTS);
  });

  it("deploys a release into the idle slot by creating only that slot's images and containers", () => {
    const diff = diffPlans(planDocument(before), planDocument(staged));
    expect(changeList(diff)).toEqual(
      HOST_NAMES.flatMap((host) => [
        `create ${T.image} prod-${host}-api-green`,
        `create ${T.container} prod-${host}-api-green`,
        // Its PIDs limit, applied over SSH once the container exists.
        `create command:remote:Command prod-${host}-api-green-pids`,
      ]),
    );
    expect(diff.outputs).toEqual([]);
  });

  it("forwards the listener to the live slot's target group", () => {
    const forward = (plan: Evaluation): unknown =>
      findResource(plan, T.listener, "prod-api-http").inputs["defaultActions"];
    expect(forward(staged)).toEqual([
      { targetGroupArn: targetGroupArn("prod-api-targets-blue"), type: "forward" },
    ]);
    expect(forward(switched)).toEqual([
      { targetGroupArn: targetGroupArn("prod-api-targets-green"), type: "forward" },
    ]);
  });

  it("forwards HTTPS to the live slot's target group and redirects HTTP to it", () => {
    expect(findResource(switchedHttps, T.listener, "prod-api-https").inputs).toMatchObject({
      port: 443,
      certificateArn: CERTIFICATE,
      defaultActions: [
        { targetGroupArn: targetGroupArn("prod-api-targets-green"), type: "forward" },
      ],
    });
    expect(
      findResource(switchedHttps, T.listener, "prod-api-http").inputs["defaultActions"],
    ).toEqual([
      { type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } },
    ]);
    expect(
      findResource(switchedHttps, T.listener, "prod-admin-https").inputs["defaultActions"],
    ).toEqual([{ targetGroupArn: targetGroupArn("prod-admin-targets-blue"), type: "forward" }]);
  });

  it("switches slots by updating only the service's listener in place", () => {
    const diff = diffPlans(planDocument(staged), planDocument(switched));
    expect(changeList(diff)).toEqual([`update ${T.listener} prod-api-http`]);
    expect(diff.resources[0]!.changes).toEqual([
      {
        path: "inputs.defaultActions[0].targetGroupArn",
        before: targetGroupArn("prod-api-targets-blue"),
        after: targetGroupArn("prod-api-targets-green"),
      },
    ]);
    // The balancer's address stays: only the live slot a stack output may report changes.
    expect(diff.outputs.filter((c) => c.path !== "outputs.services.api.liveSlot")).toEqual([]);
  });
});
