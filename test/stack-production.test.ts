/**
 * The production stack under mocks at full scale, with the real Pulumi.production.yaml: 25
 * services on ECS over three zones; then a release and a rollback, with that file edited in memory.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { SERVICE_CATALOG } from "../components/catalog/catalog";
import { slotPorts } from "../components/model/slots";
import type { Evaluation, PlannedResource } from "../lib/evaluate";
import { renderPlanJson } from "../lib/plan-render";
import { diffPlans, type PlanDiff } from "../lib/plan-diff";
import { parsePlanDocument } from "../lib/plan-files";
import type { StackFileConfig } from "../lib/stack-file";
import { editedStackConfig, evaluateStack, findResource } from "./mocks";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const SERVICES = 25;
const NODES = 8;
const CLUSTER_ARN = "arn:aws:ecs:mock-region:000000000000:cluster/ci-platform-production";

const T = {
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  service: "aws:ecs/service:Service",
  cluster: "aws:ecs/cluster:Cluster",
  capacityProvider: "aws:ecs/capacityProvider:CapacityProvider",
  clusterProviders: "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
  group: "aws:autoscaling/group:Group",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  scalingTarget: "aws:appautoscaling/target:Target",
  scalingPolicy: "aws:appautoscaling/policy:Policy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  rule: "aws:lb/listenerRule:ListenerRule",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  lambda: "aws:lambda/function:Function",
} as const;

const ofType = (plan: Evaluation, type: string): PlannedResource[] =>
  plan.resources.filter((r) => r.type === type);
const mockArn = (type: string, name: string): string => `arn:mock:${type}:${name}`;
const json = (value: unknown): unknown => JSON.parse(String(value));

/**
 * Evaluates the program for `config` (default: the committed file). The program runs on its
 * module's first import only, so each evaluation gets a fresh module registry; evaluations run one
 * at a time (the SDK's runtime is global).
 */
async function evaluateProduction(config?: StackFileConfig): Promise<Evaluation> {
  vi.resetModules();
  return evaluateStack("production", config);
}

let committedPlan: Promise<Evaluation> | undefined;
const committed = (): Promise<Evaluation> => (committedPlan ??= evaluateProduction());

describe("production stack on ECS under mocks, with Pulumi.production.yaml", () => {
  let plan: Evaluation;
  beforeAll(async () => {
    plan = await committed();
  }, 60_000);

  it("declares the full estate: exact counts per resource type", () => {
    const counts = (type: string): number => ofType(plan, type).length;
    expect(counts(T.cluster)).toBe(1);
    // One host class: one template, one group, one capacity provider.
    expect(counts(T.launchTemplate)).toBe(1);
    expect(counts(T.group)).toBe(1);
    expect(counts(T.capacityProvider)).toBe(1);
    expect(counts(T.clusterProviders)).toBe(1);
    // Per service: the service's and its tests' task definitions, the service, scaling, alarms.
    expect(counts(T.taskDefinition)).toBe(SERVICES * 2);
    expect(counts(T.service)).toBe(SERVICES);
    expect(counts(T.scalingTarget)).toBe(SERVICES);
    expect(counts(T.scalingPolicy)).toBe(SERVICES);
    expect(counts(T.alarm)).toBe(SERVICES * 2);
    expect(counts(T.lambda)).toBe(1);
    // A log group per service, the hook's, and the flow logs'.
    expect(counts(T.logGroup)).toBe(SERVICES + 2);
    expect(counts("aws:lb/loadBalancer:LoadBalancer")).toBe(SERVICES);
    expect(counts(T.targetGroup)).toBe(SERVICES * 2);
    // Production (80) and test listeners, each with the rule ECS moves.
    expect(counts(T.listener)).toBe(SERVICES * 2);
    expect(counts(T.rule)).toBe(SERVICES * 2);
    expect(counts("aws:route53/record:Record")).toBe(SERVICES + NODES);
    expect(counts("aws:ec2/subnet:Subnet")).toBe(2 * ZONES.length);
    expect(counts("aws:ec2/natGateway:NatGateway")).toBe(ZONES.length);
    expect(counts("aws:ec2/flowLog:FlowLog")).toBe(1);
  });

  it("has no Docker host, SSH or per-instance resource left", () => {
    const types = new Set(plan.resources.map((r) => r.type));
    for (const type of types) expect(type, type).not.toMatch(/^(docker|command):|providers:docker/);
    expect(types.has("aws:ec2/instance:Instance")).toBe(false);
    expect(types.has("aws:lb/targetGroupAttachment:TargetGroupAttachment")).toBe(false);
    const ssh = ofType(plan, T.ingress).filter(
      (r) => Number(r.inputs["fromPort"]) <= 22 && Number(r.inputs["toPort"]) >= 22,
    );
    expect(ssh).toEqual([]);
  });

  it("runs every host class as an Auto Scaling group over the three private subnets", () => {
    const group = findResource(plan, T.group, "prod-app");
    expect(group.inputs).toMatchObject({
      vpcZoneIdentifiers: ZONES.map((z) => `prod-private-${z}-id`),
      minSize: 6,
      maxSize: 18,
      protectFromScaleIn: true,
      launchTemplate: { id: "prod-app-id" },
    });
    expect(group.inputs["tags"]).toContainEqual({
      key: "AmazonECSManaged",
      value: "",
      propagateAtLaunch: true,
    });
    expect(group.ignoreChanges).toEqual(["desiredCapacity"]);
    expect(findResource(plan, T.capacityProvider, "prod-app").inputs).toEqual({
      name: "ci-platform-production-app",
      autoScalingGroupProvider: {
        autoScalingGroupArn: mockArn(T.group, "prod-app"),
        managedTerminationProtection: "ENABLED",
        managedDraining: "ENABLED",
        managedScaling: {
          status: "ENABLED",
          targetCapacity: 100,
          minimumScalingStepSize: 1,
          maximumScalingStepSize: 6,
          instanceWarmupPeriod: 300,
        },
      },
    });
    expect(findResource(plan, T.clusterProviders, "prod-capacity").inputs).toMatchObject({
      clusterName: "ci-platform-production",
      capacityProviders: ["ci-platform-production-app"],
    });
  });

  it("launches ECS instances with IMDSv2 (hop limit 1), encrypted roots and no public address", () => {
    const template = findResource(plan, T.launchTemplate, "prod-app");
    expect(template.inputs).toMatchObject({
      imageId: "ami-0c7217cdde317cfec",
      instanceType: "t3.xlarge",
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
      },
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 60, volumeType: "gp3" } },
      ],
      networkInterfaces: [
        { associatePublicIpAddress: "false", securityGroups: ["prod-hosts-id"], deviceIndex: 0 },
      ],
      iamInstanceProfile: { arn: mockArn("aws:iam/instanceProfile:InstanceProfile", "prod-host") },
    });
    expect(template.inputs["vpcSecurityGroupIds"]).toBeUndefined();
    const userData = Buffer.from(String(template.inputs["userData"]), "base64").toString();
    expect(userData).toContain("ECS_CLUSTER=ci-platform-production\n");
    expect(userData).toContain('cat > "/etc/docker/certs.d/registry.example.com:5443/ca.crt"');
    expect(userData).toContain("-----BEGIN CERTIFICATE-----\nMIIBtDCCAVqgAwIBAgIUQS8k");
    expect(findResource(plan, T.attachment, "prod-host-ecs").inputs).toEqual({
      role: "prod-host",
      policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    });
  });

  it("defines each service's task: its image on the live slot's port, credentials, logs, limits", () => {
    const catalog = SERVICE_CATALOG.find((e) => e.name === "api")!;
    const task = findResource(plan, T.taskDefinition, "prod-api-task");
    expect(task.inputs).toMatchObject({
      family: "production-api",
      networkMode: "bridge",
      requiresCompatibilities: ["EC2"],
      executionRoleArn: mockArn(T.role, "prod-task-execution-role"),
      skipDestroy: true,
    });
    expect(task.inputs["taskRoleArn"]).toBeUndefined();
    const [container, ...others] = json(task.inputs["containerDefinitions"]) as Record<
      string,
      unknown
    >[];
    expect(others).toEqual([]);
    expect(container).toMatchObject({
      name: "app",
      image: "registry.example.com:5443/api:1.4.2",
      repositoryCredentials: {
        credentialsParameter: mockArn(
          "aws:secretsmanager/secret:Secret",
          "prod-task-execution-registry-credentials",
        ),
      },
      essential: true,
      memory: "memoryMb" in catalog ? catalog.memoryMb : -1,
      privileged: false,
      portMappings: [{ containerPort: 5000, hostPort: slotPorts(5060).blue, protocol: "tcp" }],
      environment: [
        { name: "APP_ENV", value: "production" },
        { name: "RELEASE_SLOT", value: "blue" },
      ],
      dnsSearchDomains: ["us-east-1.example.com"],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/ci-platform/production/api",
          "awslogs-region": "us-east-1",
          "awslogs-stream-prefix": "app",
        },
      },
    });
    expect((container!["healthCheck"] as { command: string[] }).command.slice(0, 3)).toEqual([
      "CMD",
      "node",
      "-e",
    ]);
    const [tests] = json(
      findResource(plan, T.taskDefinition, "prod-api-tests-task").inputs["containerDefinitions"],
    ) as Record<string, unknown>[];
    expect(tests).toMatchObject({
      name: "tests",
      image: "registry.example.com:5443/api:1.4.2",
      command: ["ci-test", "live"],
    });
    expect(tests!["portMappings"]).toBeUndefined();
    // Every service publishes its own ports: no two services share a host port.
    const ports = ofType(plan, T.taskDefinition)
      .filter((t) => !t.name.endsWith("-tests-task"))
      .map(
        (t) =>
          (json(t.inputs["containerDefinitions"]) as { portMappings: { hostPort: number }[] }[])[0]!
            .portMappings[0]!.hostPort,
      );
    expect(new Set(ports).size).toBe(SERVICES);
  });

  it("deploys every service blue/green with both test hooks, a bake time and automatic rollback", () => {
    for (const service of ofType(plan, T.service)) {
      const app = /^prod-(.+)-service$/.exec(service.name)![1]!;
      expect(service.inputs, app).toMatchObject({
        name: app,
        cluster: CLUSTER_ARN,
        taskDefinition: `arn:aws:ecs:mock-region:000000000000:task-definition/production-${app}:1`,
        desiredCount: 6,
        capacityProviderStrategies: [
          { capacityProvider: "ci-platform-production-app", weight: 1, base: 0 },
        ],
        orderedPlacementStrategies: [
          { type: "spread", field: "attribute:ecs.availability-zone" },
          { type: "spread", field: "instanceId" },
        ],
        loadBalancers: [
          {
            targetGroupArn: mockArn(T.targetGroup, `prod-${app}-targets-blue`),
            containerName: "app",
            containerPort: 5000,
            advancedConfiguration: {
              alternateTargetGroupArn: mockArn(T.targetGroup, `prod-${app}-targets-green`),
              productionListenerRule: mockArn(T.rule, `prod-${app}-production-rule`),
              testListenerRule: mockArn(T.rule, `prod-${app}-test-rule`),
              roleArn: mockArn(T.role, "prod-deployments-traffic"),
            },
          },
        ],
        deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: "10" },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        alarms: {
          alarmNames: [`production-${app}-target-5xx`, `production-${app}-elb-5xx`],
          enable: true,
          rollback: true,
        },
        waitForSteadyState: true,
      });
      expect(service.ignoreChanges, app).toEqual(["desiredCount", "loadBalancers"]);
      const hooks = (
        service.inputs["deploymentConfiguration"] as { lifecycleHooks: Record<string, unknown>[] }
      ).lifecycleHooks;
      const tests = `arn:aws:ecs:mock-region:000000000000:task-definition/production-${app}-tests:1`;
      expect(
        hooks.map((h) => ({ ...h, hookDetails: json(h["hookDetails"]) })),
        app,
      ).toEqual([
        {
          hookTargetArn: mockArn(T.lambda, "prod-deployments-function"),
          roleArn: mockArn(T.role, "prod-deployments-invoke"),
          lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"],
          hookDetails: {
            suite: "pre-integration",
            baseUrl: `http://${app}.us-east-1.example.com:8080`,
            cluster: CLUSTER_ARN,
            taskDefinition: tests,
            timeoutSeconds: 900,
          },
        },
        {
          hookTargetArn: mockArn(T.lambda, "prod-deployments-function"),
          roleArn: mockArn(T.role, "prod-deployments-invoke"),
          lifecycleStages: ["POST_PRODUCTION_TRAFFIC_SHIFT"],
          hookDetails: {
            suite: "post-integration",
            baseUrl: `http://${app}.us-east-1.example.com`,
            cluster: CLUSTER_ARN,
            taskDefinition: tests,
            timeoutSeconds: 900,
          },
        },
      ]);
    }
  });

  it("scales every service on CPU between its per-zone bounds", () => {
    expect(findResource(plan, T.scalingTarget, "prod-api-scaling").inputs).toEqual({
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: "service/ci-platform-production/api",
      minCapacity: 6,
      maxCapacity: 12,
    });
    expect(findResource(plan, T.scalingPolicy, "prod-api-cpu").inputs).toMatchObject({
      policyType: "TargetTrackingScaling",
      resourceId: "service/ci-platform-production/api",
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        targetValue: 60,
      },
    });
  });

  it("rolls back on the service's 5xx answers: alarms on its own balancer", () => {
    expect(findResource(plan, T.alarm, "prod-api-target-5xx").inputs).toMatchObject({
      name: "production-api-target-5xx",
      namespace: "AWS/ApplicationELB",
      metricName: "HTTPCode_Target_5XX_Count",
      dimensions: { LoadBalancer: "app/prod-api-alb/mock" },
      threshold: 5,
      period: 60,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
  });

  it("routes 80 and the test listener by rules ECS owns, first to the live slot's group", () => {
    const rule = findResource(plan, T.rule, "prod-api-production-rule");
    expect(rule.inputs).toMatchObject({
      listenerArn: mockArn(T.listener, "prod-api-http"),
      priority: 1,
      actions: [
        {
          type: "forward",
          forward: {
            targetGroups: [
              { arn: mockArn(T.targetGroup, "prod-api-targets-blue"), weight: 100 },
              { arn: mockArn(T.targetGroup, "prod-api-targets-green"), weight: 0 },
            ],
          },
        },
      ],
    });
    expect(rule.ignoreChanges).toEqual(["actions"]);
    expect(findResource(plan, T.rule, "prod-api-test-rule").inputs["listenerArn"]).toBe(
      mockArn(T.listener, "prod-api-test"),
    );
    expect(findResource(plan, T.listener, "prod-api-test").inputs).toMatchObject({
      port: 8080,
      protocol: "HTTP",
    });
    for (const slot of ["blue", "green"] as const) {
      expect(findResource(plan, T.targetGroup, `prod-api-targets-${slot}`).inputs).toMatchObject({
        port: slotPorts(5060)[slot],
        targetType: "instance",
        healthCheck: { path: "/health", matcher: "200", port: "traffic-port" },
      });
    }
  });

  it("opens nothing to the internet but the production listeners; the test listener to the admin range and NAT only", () => {
    const open = ofType(plan, T.ingress).filter((r) => r.inputs["cidrIpv4"] === "0.0.0.0/0");
    expect(open).toHaveLength(SERVICES);
    for (const rule of open) {
      expect(rule.name).toMatch(/^prod-[a-z0-9-]+-lb-80-0$/);
      expect(rule.inputs).toMatchObject({ fromPort: 80, toPort: 80 });
    }
    const test = ofType(plan, T.ingress).filter(
      (r) => r.name.startsWith("prod-api-") && r.inputs["fromPort"] === 8080,
    );
    expect(test.map((r) => r.inputs["cidrIpv4"]).sort()).toEqual(
      ["10.255.0.0/24", ...ZONES.map((z) => `${natIp(plan, z)}/32`)].sort(),
    );
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
    }
  });

  it("grants the task execution role the registry secret and the services' logs only; no task role", () => {
    const policy = json(
      findResource(plan, T.rolePolicy, "prod-task-execution-role").inputs["policy"],
    ) as { Statement: { Action: unknown; Resource: unknown }[] };
    expect(policy.Statement).toHaveLength(2);
    expect(policy.Statement[0]).toMatchObject({
      Action: "secretsmanager:GetSecretValue",
      Resource: mockArn(
        "aws:secretsmanager/secret:Secret",
        "prod-task-execution-registry-credentials",
      ),
    });
    const logs = policy.Statement[1]!.Resource as string[];
    expect(logs).toHaveLength(SERVICES);
    expect(logs).toContain(`${mockArn(T.logGroup, "prod-task-execution-api-logs")}:log-stream:*`);
    for (const task of ofType(plan, T.taskDefinition))
      expect(task.inputs["taskRoleArn"]).toBeUndefined();
    expect(
      findResource(
        plan,
        "aws:secretsmanager/secretVersion:SecretVersion",
        "prod-task-execution-registry-credentials",
      ).inputs["secretString"],
    ).toBe("[secret]");
  });

  it("lets the hook run and watch only this cluster's test tasks", () => {
    const policy = json(
      findResource(plan, T.rolePolicy, "prod-deployments-role").inputs["policy"],
    ) as {
      Statement: Record<string, unknown>[];
    };
    expect(policy.Statement.find((s) => s["Sid"] === "RunTestTasks")).toEqual({
      Sid: "RunTestTasks",
      Effect: "Allow",
      Action: "ecs:RunTask",
      Resource: "arn:aws:ecs:mock-region:000000000000:task-definition/production-*-tests:*",
      Condition: { ArnEquals: { "ecs:cluster": CLUSTER_ARN } },
    });
    expect(policy.Statement.find((s) => s["Sid"] === "WatchTestTasks")!["Resource"]).toBe(
      "arn:aws:ecs:mock-region:000000000000:task/ci-platform-production/*",
    );
    expect(findResource(plan, T.lambda, "prod-deployments-function").inputs).toMatchObject({
      name: "production-integration-hook",
      runtime: "nodejs22.x",
      handler: "index.handler",
      role: mockArn(T.role, "prod-deployments-role"),
    });
  });

  it("names every record <name>.<region>.<domain> in a protected private zone", () => {
    for (const record of ofType(plan, "aws:route53/record:Record")) {
      expect(record.inputs["name"]).toMatch(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.us-east-1\.example\.com$/,
      );
    }
    expect(findResource(plan, "aws:route53/record:Record", "prod-dns-api").inputs).toMatchObject({
      name: "api.us-east-1.example.com",
      aliases: [{ name: "prod-api-alb.elb.mock", zoneId: "ZMOCKELB", evaluateTargetHealth: true }],
    });
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

  it("puts the region domain in the instances' resolver search path", () => {
    expect(
      findResource(plan, "aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "prod-dhcp").inputs,
    ).toMatchObject({
      domainName: "us-east-1.example.com",
    });
  });

  it("keeps the access-log bucket private and protected, and the logs retained", () => {
    expect(findResource(plan, "aws:s3/bucket:Bucket", "prod-lb-logs").protect).toBe(true);
    for (const lb of ofType(plan, "aws:lb/loadBalancer:LoadBalancer")) {
      expect(lb.inputs["accessLogs"]).toMatchObject({ bucket: "prod-lb-logs", enabled: true });
    }
    for (const group of ofType(plan, T.logGroup)) {
      expect(group.retainOnDelete, group.name).toBe(true);
    }
    expect(findResource(plan, T.logGroup, "prod-task-execution-api-logs").inputs).toMatchObject({
      name: "/ci-platform/production/api",
      retentionInDays: 30,
    });
  });
});

function natIp(plan: Evaluation, zone: string): string {
  const rule = findResource(plan, T.ingress, `prod-api-lb-test-nat-${zone}`);
  return String(rule.inputs["cidrIpv4"]).replace(/\/32$/, "");
}

/** The plan document the review tools diff, as `npm run plan -- --json` writes it. */
const planDocument = (evaluation: Evaluation): ReturnType<typeof parsePlanDocument> =>
  parsePlanDocument(renderPlanJson(evaluation), `the plan of ${evaluation.stack}`);

const changeList = (diff: PlanDiff): string[] =>
  diff.resources.map((r) => `${r.kind} ${r.type} ${r.name}`);

describe("production releases, with Pulumi.production.yaml edited in memory", () => {
  type Settings = Record<string, unknown>;
  const editApi = (edit: (api: Settings) => void): StackFileConfig =>
    editedStackConfig("production", (doc) => {
      const services = doc.config["ci-platform:services"] as { apps: Record<string, Settings> };
      edit(services.apps["api"]!);
    });
  let before: Evaluation;
  /** `npm run release -- api 1.5.0`: the new version on the other slot's port. */
  let released: Evaluation;
  beforeAll(async () => {
    before = await committed();
    released = await evaluateProduction(
      editApi((api) =>
        Object.assign(api, { version: "1.5.0", previousVersion: "1.4.2", liveSlot: "green" }),
      ),
    );
  }, 120_000);

  it("changes only that service's task definitions (new revisions) and its service", () => {
    const diff = diffPlans(planDocument(before), planDocument(released));
    expect(changeList(diff)).toEqual([
      `replace ${T.taskDefinition} prod-api-task`,
      `replace ${T.taskDefinition} prod-api-tests-task`,
      `update ${T.service} prod-api-service`,
    ]);
    // The listener rules and the service's target groups follow ECS, not the stack file.
    expect(diff.outputs.map((c) => c.path)).toEqual(["outputs.services.api.liveSlot"]);
  });

  it("publishes the new revision on the other slot's port, so both revisions fit every instance", () => {
    const [container] = json(
      findResource(released, T.taskDefinition, "prod-api-task").inputs["containerDefinitions"],
    ) as { image: string; portMappings: { hostPort: number }[] }[];
    expect(container!.image).toBe("registry.example.com:5443/api:1.5.0");
    expect(container!.portMappings[0]!.hostPort).toBe(slotPorts(5060).green);
  });
});
