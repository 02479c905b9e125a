/**
 * Production on ECS, the pure parts: names, the container instances' user data, task definitions'
 * container definitions, IAM policy documents and rollback alarms. Everything here is rendered
 * deterministically (fixed key order, sorted lists), so an unchanged config previews unchanged.
 */
import { APP_CONTAINER_PORT } from "../catalog/catalog";
import type { StackApp } from "../config/types";
import { TEST_CONTAINER } from "./integration-hook/hook-details";

/** The container every app task definition runs the service in (the load balancer's target). */
export const APP_CONTAINER = "app";

/** The ECS cluster's name: fixed, because the instances' user data names it before it exists. */
export function clusterName(project: string, stack: string): string {
  return `${project}-${stack}`;
}

/** Where one app's tasks (and its test tasks) log: `/ci-platform/<stack>/<app>`. */
export function serviceLogGroupName(stack: string, app: string): string {
  return `/ci-platform/${stack}/${app}`;
}

/** The log groups' prefix the shared task execution role may write under. */
export function serviceLogGroupPrefix(stack: string): string {
  return `/ci-platform/${stack}/`;
}

/** The ECS service's name: the app's, so the hook and operators find it by the catalog name. */
export function ecsServiceName(app: string): string {
  return app;
}

/** Task definition families: `<stack>-<app>` runs the service, `<stack>-<app>-tests` its tests. */
export function taskFamily(stack: string, app: string, tests = false): string {
  return `${stack}-${app}${tests ? "-tests" : ""}`;
}

export interface EcsUserDataSettings {
  readonly cluster: string;
  /** `<host>:<port>` of the private registry. */
  readonly registry: string;
  readonly registryCaCert: string;
}

/**
 * Cloud-init user data of an ECS-optimised instance: join the cluster and trust the private
 * registry's CA. The agent's own settings replace what the Docker hosts did by hand: images the
 * tasks no longer use are removed by its automated image cleanup (ECS_IMAGE_CLEANUP_INTERVAL and
 * friends keep their defaults), stopped tasks' containers after ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION.
 */
export function renderEcsUserData(settings: EcsUserDataSettings): string {
  return `#!/bin/bash
# Rendered by ci-platform: an ECS container instance.
set -euo pipefail
install -d -m 0755 /etc/ecs "/etc/docker/certs.d/${settings.registry}"
cat > /etc/ecs/ecs.config <<'CI_PLATFORM_EOF'
ECS_CLUSTER=${settings.cluster}
ECS_ENABLE_CONTAINER_METADATA=true
ECS_CONTAINER_STOP_TIMEOUT=30s
ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION=1h
CI_PLATFORM_EOF
cat > "/etc/docker/certs.d/${settings.registry}/ca.crt" <<'CI_PLATFORM_EOF'
${settings.registryCaCert.trimEnd()}
CI_PLATFORM_EOF
`;
}

/** What every container definition of an app shares: image, credentials, limits, logs. */
export interface TaskSettings {
  readonly app: StackApp;
  /** `<registry>/<app>:<version>`. */
  readonly image: string;
  /** ARN of the Secrets Manager secret holding the registry user and password. */
  readonly registryCredentialsArn: string;
  readonly logGroup: string;
  readonly region: string;
  /** `<region>.<domain>`: plain node names resolve as on the CI hosts. */
  readonly regionDomain: string;
  /** Every app reads environment specifics from APP_ENV, like NODE_ENV. */
  readonly appEnv: string;
}

/** ECS CPU units: 1024 per CPU, from the catalog's decimal CPUs. */
export function cpuUnits(cpus: string): number {
  return Math.round(Number(cpus) * 1024);
}

/**
 * The container's own health check: Node's fetch against the health path on 5000 (catalog apps
 * build on a Node image; the load balancer's check is the one that moves traffic).
 */
export function containerHealthCheck(healthPath: string): {
  command: string[];
  interval: number;
  timeout: number;
  retries: number;
  startPeriod: number;
} {
  const url = `http://127.0.0.1:${APP_CONTAINER_PORT}${healthPath}`;
  return {
    command: [
      "CMD",
      "node",
      "-e",
      `fetch(${JSON.stringify(url)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
    ],
    interval: 15,
    timeout: 5,
    retries: 3,
    startPeriod: 30,
  };
}

function sharedContainer(s: TaskSettings, streamPrefix: string): Record<string, unknown> {
  return {
    image: s.image,
    repositoryCredentials: { credentialsParameter: s.registryCredentialsArn },
    essential: true,
    memory: s.app.memoryMb,
    cpu: cpuUnits(s.app.cpus),
    privileged: false,
    dnsSearchDomains: [s.regionDomain],
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": s.logGroup,
        "awslogs-region": s.region,
        "awslogs-stream-prefix": streamPrefix,
      },
    },
  };
}

/**
 * The service's container: listening on 5000, published on the port of `liveSlot`. A release
 * moves to the other slot's port, so during a blue/green deployment the old and new revisions
 * each have their own port on every instance (static host ports, one task per port).
 */
export function appContainerDefinitions(s: TaskSettings): string {
  const hostPort = s.app.slotPorts[s.app.liveSlot];
  return JSON.stringify([
    {
      name: APP_CONTAINER,
      ...sharedContainer(s, "app"),
      portMappings: [{ containerPort: APP_CONTAINER_PORT, hostPort, protocol: "tcp" }],
      environment: [
        { name: "APP_ENV", value: s.appEnv },
        { name: "RELEASE_SLOT", value: s.app.liveSlot },
      ],
      healthCheck: containerHealthCheck(s.app.healthPath),
      dockerLabels: {
        "ci-platform.service": s.app.name,
        "ci-platform.slot": s.app.liveSlot,
        "ci-platform.version": String(s.app.version),
      },
    },
  ]);
}

/**
 * The test task: the same image running `ci-test live` (as the CI pipeline does), no port. The
 * lifecycle hook sets BASE_URL and TEST_SUITE per run.
 */
export function testContainerDefinitions(s: TaskSettings): string {
  return JSON.stringify([
    {
      name: TEST_CONTAINER,
      ...sharedContainer(s, "tests"),
      command: ["ci-test", "live"],
      environment: [{ name: "APP_ENV", value: s.appEnv }],
    },
  ]);
}

type Statement = Record<string, unknown>;
const policy = (statements: Statement[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });

/**
 * The one task execution role every app task uses (no app gets a task role): the agent reads the
 * registry credentials and writes the tasks' logs, nothing else.
 */
export function executionRolePolicy(secretArn: string, logGroupArns: readonly string[]): string {
  return policy([
    {
      Sid: "RegistryCredentials",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: secretArn,
    },
    {
      Sid: "TaskLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [...logGroupArns].sort().map((arn) => `${arn}:log-stream:*`),
    },
  ]);
}

export interface HookPolicySettings {
  readonly clusterArn: string;
  readonly stack: string;
  readonly executionRoleArn: string;
  readonly hookLogGroupArn: string;
}

/** `arn:aws:ecs:<region>:<account>:cluster/<name>` with the resource part replaced. */
function ecsArn(clusterArn: string, resource: string): string {
  return clusterArn.replace(/:cluster\/.*$/, `:${resource}`);
}

/** Every revision of every app's test task definition (families `<stack>-<app>-tests`). */
export function testTaskDefinitionPattern(clusterArn: string, stack: string): string {
  return ecsArn(clusterArn, `task-definition/${stack}-*-tests:*`);
}

/**
 * The hook's own role: run, watch and stop the test tasks on this cluster (the ECS actions the
 * handler calls, HOOK_ECS_ACTIONS), hand them the execution role, write its log.
 */
export function hookFunctionPolicy(s: HookPolicySettings): string {
  const onCluster = { ArnEquals: { "ecs:cluster": s.clusterArn } };
  return policy([
    {
      Sid: "RunTestTasks",
      Effect: "Allow",
      Action: "ecs:RunTask",
      Resource: testTaskDefinitionPattern(s.clusterArn, s.stack),
      Condition: onCluster,
    },
    {
      Sid: "WatchTestTasks",
      Effect: "Allow",
      Action: ["ecs:DescribeTasks", "ecs:StopTask"],
      Resource: ecsArn(s.clusterArn, `task/${s.clusterArn.replace(/^.*:cluster\//, "")}/*`),
      Condition: onCluster,
    },
    {
      Sid: "PassExecutionRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: s.executionRoleArn,
      Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
    {
      Sid: "HookLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${s.hookLogGroupArn}:log-stream:*`,
    },
  ]);
}

/** The role ECS assumes to invoke the hook: that one function, nothing else. */
export function hookInvokePolicy(functionArn: string): string {
  return policy([
    { Sid: "InvokeHook", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: functionArn },
  ]);
}

export interface RollbackAlarm {
  /** Resource name suffix and alarm name suffix. */
  readonly id: string;
  readonly metricName: string;
  readonly description: string;
}

/**
 * The alarms ECS watches during a deployment and its bake time (rolling back when one fires): the
 * service's own 5xx answers, and the balancer's (502/503/504 when no new task answers).
 */
export const ROLLBACK_ALARMS: readonly RollbackAlarm[] = [
  {
    id: "target-5xx",
    metricName: "HTTPCode_Target_5XX_Count",
    description: "5xx answers from the service's tasks",
  },
  {
    id: "elb-5xx",
    metricName: "HTTPCode_ELB_5XX_Count",
    description: "5xx answers from the load balancer itself (no healthy task, timeouts)",
  },
];
