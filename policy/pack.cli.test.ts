/**
 * The policy pack as the engine runs it: the SDK's `run-policy-pack` serves `policy/` (compiled by
 * its ts-node, as under `pulumi preview --policy-pack policy`) and answers the engine's Analyze
 * calls over gRPC. A child process compiling the pack: the cli project runs it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
  AnalyzeRequest,
  AnalyzerResourceOptions,
  type AnalyzeResponse,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { T } from "./rules";

const ROOT = resolve(__dirname, "..");

const PRIVILEGED = {
  image: "mongo:latest",
  restart: "unless-stopped",
  memory: 1024,
  memorySwap: 1024,
  logOpts: { "max-size": "10m", "max-file": "3" },
  cpus: "1.0",
  readOnly: true,
  labels: [{ label: "ci-platform.pids-limit", value: "512" }],
  privileged: true,
};

describe("the policy pack served to the engine", () => {
  let pack: ChildProcess;
  let client: AnalyzerClient;
  let stderr = "";

  beforeAll(async () => {
    pack = spawn(
      process.execPath,
      [resolve(ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", "."],
      { cwd: resolve(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] },
    );
    pack.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    // The pack prints the port it serves on, as plugins do for the engine.
    const port = await new Promise<number>((done, fail) => {
      let out = "";
      pack.stdout!.on("data", (b: Buffer) => {
        out += b.toString();
        const match = /^(\d+)\s*$/m.exec(out);
        if (match) done(Number(match[1]));
      });
      pack.on("exit", (code) => fail(new Error(`the pack exited ${code}: ${stderr}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 120_000);

  afterAll(() => {
    client?.close();
    pack?.kill("SIGKILL");
  });

  function analyze(
    type: string,
    name: string,
    props: Record<string, unknown>,
    protect = false,
  ): Promise<{ policy: string; message: string }[]> {
    const request = new AnalyzeRequest()
      .setType(type)
      .setName(name)
      .setUrn(`urn:pulumi:production::ci-platform::${type}::${name}`)
      .setProperties(Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]))
      .setOptions(new AnalyzerResourceOptions().setProtect(protect));
    return new Promise((done, fail) =>
      client.analyze(request, (error: grpc.ServiceError | null, response: AnalyzeResponse) => {
        if (error) fail(error);
        else
          done(
            response.getDiagnosticsList().map((d) => ({
              policy: d.getPolicyname(),
              message: d.getMessage(),
            })),
          );
      }),
    );
  }

  it("blocks a privileged container on latest, naming each policy", async () => {
    const diagnostics = await analyze(T.container, "api", PRIVILEGED);
    expect(diagnostics.map((d) => d.policy).sort()).toEqual([
      "images-pinned",
      "no-privileged-containers",
    ]);
    expect(diagnostics.map((d) => d.message).join("\n")).toContain(
      "runs privileged; remove privileged and add only the capabilities it needs",
    );
  });

  it("passes a compliant container and a protected volume", async () => {
    expect(
      await analyze(T.container, "api", { ...PRIVILEGED, image: "mongo:7.0", privileged: false }),
    ).toEqual([]);
    expect(await analyze(T.dockerVolume, "data", { name: "data" }, true)).toEqual([]);
  });

  it("blocks an ECS service that cannot roll back and an inline policy on every resource", async () => {
    const service = await analyze(T.ecsService, "prod-api", {
      deploymentConfiguration: { strategy: "ROLLING" },
      deploymentCircuitBreaker: { enable: true, rollback: false },
    });
    expect([...new Set(service.map((d) => d.policy))]).toEqual([
      "ecs-services-blue-green-rollback",
    ]);
    expect(service.map((d) => d.message).join("\n")).toContain(
      'deploymentConfiguration.strategy is "ROLLING"; set "BLUE_GREEN"',
    );
    const policy = await analyze(T.rolePolicy, "prod-hook", {
      role: "prod-hook",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "ecs:RunTask", Resource: "*" }],
      }),
    });
    expect(policy.map((d) => d.policy)).toEqual(["iam-least-privilege"]);
  });

  it("blocks an unprotected volume from the resource options the engine sends", async () => {
    const diagnostics = await analyze(T.dockerVolume, "data", { name: "data" });
    expect(diagnostics.map((d) => d.policy)).toEqual(["stateful-resources-protected"]);
  });
});
