import { describe, expect, it } from "vitest";
import { SERVICE_CATALOG, type AppEntry } from "../catalog/catalog";
import type { StackApp } from "../config/types";
import { slotPorts } from "../model/slots";
import {
  appContainerDefinitions,
  cpuUnits,
  executionRolePolicy,
  hookFunctionPolicy,
  renderEcsUserData,
  testContainerDefinitions,
  testTaskDefinitionPattern,
  type TaskSettings,
} from "./ecs-render";
import { HOOK_ECS_ACTIONS } from "./integration-hook/hook-details";

const CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/ci-platform-production";

function settings(liveSlot: "blue" | "green"): TaskSettings {
  const entry = SERVICE_CATALOG.find((e): e is AppEntry => e.name === "api")!;
  const app: StackApp = {
    ...entry,
    version: "1.4.2",
    hostPort: 5060,
    slotPorts: slotPorts(5060),
    liveSlot,
    previousVersion: undefined,
  };
  return {
    app,
    image: "registry.example.com:5443/api:1.4.2",
    registryCredentialsArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry",
    logGroup: "/ci-platform/production/api",
    region: "eu-west-1",
    regionDomain: "eu-west-1.example.com",
    appEnv: "production",
  };
}

describe("appContainerDefinitions", () => {
  it.each([
    ["blue", 6060],
    ["green", 7060],
  ] as const)("publishes 5000 on the %s slot's port", (slot, port) => {
    const [container] = JSON.parse(appContainerDefinitions(settings(slot))) as {
      portMappings: unknown[];
      environment: unknown[];
    }[];
    expect(container!.portMappings).toEqual([
      { containerPort: 5000, hostPort: port, protocol: "tcp" },
    ]);
    expect(container!.environment).toContainEqual({ name: "RELEASE_SLOT", value: slot });
  });

  it("renders the same text for the same settings (no false diff)", () => {
    expect(appContainerDefinitions(settings("blue"))).toBe(
      appContainerDefinitions(settings("blue")),
    );
    expect(testContainerDefinitions(settings("blue"))).toBe(
      testContainerDefinitions(settings("green")),
    );
  });

  it("gives ECS CPU units of 1024 per CPU", () => {
    expect([cpuUnits("0.5"), cpuUnits("1.0"), cpuUnits("0.25"), cpuUnits("2")]).toEqual([
      512, 1024, 256, 2048,
    ]);
  });
});

describe("renderEcsUserData", () => {
  it("joins the cluster and trusts the registry's CA, nothing else", () => {
    const text = renderEcsUserData({
      cluster: "ci-platform-production",
      registry: "registry.example.com:5443",
      registryCaCert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    });
    expect(text).toContain("ECS_CLUSTER=ci-platform-production\n");
    expect(text).toContain(
      "cat > \"/etc/docker/certs.d/registry.example.com:5443/ca.crt\" <<'CI_PLATFORM_EOF'\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\nCI_PLATFORM_EOF\n",
    );
    expect(text).not.toMatch(/apt-get|daemon\.json/);
  });
});

describe("IAM policy documents", () => {
  it("limits the execution role to the secret and the log groups' streams", () => {
    const doc = JSON.parse(executionRolePolicy("arn:secret", ["arn:logs:b", "arn:logs:a"])) as {
      Statement: { Action: unknown; Resource: unknown }[];
    };
    expect(doc.Statement).toEqual([
      {
        Sid: "RegistryCredentials",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: "arn:secret",
      },
      {
        Sid: "TaskLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: ["arn:logs:a:log-stream:*", "arn:logs:b:log-stream:*"],
      },
    ]);
  });

  it("derives the hook's resources from the cluster's ARN", () => {
    expect(testTaskDefinitionPattern(CLUSTER, "production")).toBe(
      "arn:aws:ecs:eu-west-1:123456789012:task-definition/production-*-tests:*",
    );
    const doc = JSON.parse(
      hookFunctionPolicy({
        clusterArn: CLUSTER,
        stack: "production",
        executionRoleArn: "arn:aws:iam::123456789012:role/exec",
        hookLogGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/hook",
      }),
    ) as { Statement: Record<string, unknown>[] };
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s["Sid"], s]));
    expect(bySid["WatchTestTasks"]!["Resource"]).toBe(
      "arn:aws:ecs:eu-west-1:123456789012:task/ci-platform-production/*",
    );
    expect(doc.Statement.filter((s) => s["Resource"] === "*")).toEqual([]);
    // Exactly the ECS actions the handler calls, each bounded to this cluster.
    const ecs = doc.Statement.filter((s) =>
      [s["Action"]].flat().some((a) => String(a).startsWith("ecs:")),
    );
    expect(ecs.flatMap((s) => [s["Action"]].flat()).sort()).toEqual([...HOOK_ECS_ACTIONS].sort());
    for (const s of ecs) expect(s["Condition"]).toEqual({ ArnEquals: { "ecs:cluster": CLUSTER } });
  });
});
