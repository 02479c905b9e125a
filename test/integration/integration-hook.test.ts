/**
 * The integration-hook Lambda for real: `components/aws/integration-hook/index.mjs`'s `handler`,
 * run in a fresh Node.js process per invocation as the Lambda runtime would call it (the event in,
 * the answer out, state only in the hookDetails ECS passes back), with the real
 * `@aws-sdk/client-ecs` pointed at a stand-in of the ECS API on 127.0.0.1 through
 * AWS_ENDPOINT_URL_ECS, and dummy credentials. The test plays ECS's deployment side: it invokes
 * the hook, and after IN_PROGRESS invokes it again with the configured hookDetails merged with the
 * returned ones, as the developer guide says ECS does
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html);
 * it calls again after a fraction of a second instead of the callBackDelay it asserts.
 *
 * The ECS stand-in honours:
 *   - the awsJson1_1 protocol the SDK speaks to ECS (Smithy's AWS JSON 1.1 protocol,
 *     https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html): POST / with
 *     Content-Type application/x-amz-json-1.1 and X-Amz-Target
 *     AmazonEC2ContainerServiceV20141113.<Operation>, a JSON body; 200 with a JSON body, or 400
 *     with {"__type": "<error>", "message"} and X-Amzn-ErrorType; timestamps as epoch seconds. It
 *     refuses a request without a SigV4 Authorization header scoped to the ecs service (it does not
 *     verify the signature);
 *   - RunTask (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html):
 *     taskDefinition required (family, family:revision or ARN); count 1-10; startedBy at most 128
 *     letters, digits, `-`, `/`, `_`; containerOverrides must name containers of the task definition;
 *     a clientToken (at most 64 ASCII characters 33-126, per cluster) repeated with the same
 *     parameters returns the first result and starts nothing, with other parameters it is a
 *     ConflictException (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html);
 *     an unplaceable task is a `failures` entry, not an error; an unknown cluster is
 *     ClusterNotFoundException;
 *   - DescribeTasks (API_DescribeTasks.html): up to 100 tasks; an unknown one is a failure with
 *     reason MISSING;
 *   - StopTask (API_StopTask.html): desiredStatus STOPPED, stopCode UserInitiated, the request's
 *     reason as stoppedReason; SIGTERM, then SIGKILL after the stop timeout (30 s in ECS, 2 s here);
 *   - the task lifecycle (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle.html):
 *     PROVISIONING, RUNNING once the container's process started, STOPPED when it exited, with
 *     stopCode EssentialContainerExited and the container's exitCode (128 + signal number for a
 *     signal, as Docker reports it); a container that could not start stops the task with stopCode
 *     TaskFailedToStart and no exitCode.
 * The "test task" it runs is what the app image's `ci-test live` runs (see
 * examples/sample-service/bin/ci-test): `node --test` over the sample service's live suite, in its
 * directory, with only PATH and the task's environment (BASE_URL and TEST_SUITE from the
 * overrides). The services under test: the sample service itself (passes), a server answering 500
 * to everything (fails), and one that never answers (the hook's timeout).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  renderHookDetails,
  type HookDetails,
} from "../../components/aws/integration-hook/hook-details";
import type { HookResponse } from "../../components/aws/integration-hook/index.mjs";
import { run, sleep, waitFor } from "../harness/process";

const ROOT = resolve(__dirname, "..", "..");
const HANDLER = join(ROOT, "components/aws/integration-hook/index.mjs");
const SAMPLE = join(ROOT, "examples/sample-service");
const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113.";
const ANSWER = "@@hook-answer ";
const STOP_TIMEOUT_MS = 2_000;

// --- the ECS stand-in ----------------------------------------------------------------------------

interface ContainerDefinition {
  readonly name: string;
  readonly command: readonly string[];
  readonly cwd: string;
}

interface StandInTask {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly startedBy: string | undefined;
  readonly overrides: unknown;
  readonly createdAt: number;
  lastStatus: string;
  desiredStatus: string;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  container: { name: string; lastStatus: string; exitCode?: number; reason?: string };
  process?: ChildProcess;
  output: string;
}

class EcsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface EcsRequest {
  readonly op: string;
  readonly body: Record<string, unknown>;
}

const SIGNALS: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 };

class EcsStandIn {
  readonly requests: EcsRequest[] = [];
  readonly tasks = new Map<string, StandInTask>();
  private readonly tokens = new Map<string, { params: string; response: unknown }>();
  private server: http.Server | undefined;
  /** The RunTask placement failure to report instead of starting the task. */
  placementFailure: string | undefined;

  constructor(
    private readonly clusters: readonly string[],
    private readonly taskDefinitions: Readonly<Record<string, readonly ContainerDefinition[]>>,
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, {
            "content-type": "application/x-amz-json-1.1",
            "x-amzn-requestid": randomUUID(),
            ...headers,
          });
          res.end(JSON.stringify(body));
        };
        try {
          const body = this.check(req, Buffer.concat(chunks).toString("utf8"));
          const op = String(req.headers["x-amz-target"]).slice(TARGET_PREFIX.length);
          this.requests.push({ op, body });
          send(200, this.dispatch(op, body));
        } catch (e) {
          const error = e instanceof EcsError ? e : new EcsError("ServerException", String(e));
          send(
            400,
            { __type: error.type, message: error.message },
            { "x-amzn-errortype": error.type },
          );
        }
      });
    });
    await new Promise<void>((ok) => this.server!.listen(0, "127.0.0.1", ok));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Kills every task process still running and closes the server. */
  async stop(): Promise<void> {
    for (const task of this.tasks.values()) {
      if (task.process && task.process.exitCode === null && task.process.signalCode === null)
        task.process.kill("SIGKILL");
    }
    await waitFor(
      "the stand-in's task processes to exit",
      () =>
        Promise.resolve(
          [...this.tasks.values()].every((t) => !t.process || t.lastStatus === "STOPPED") ||
            undefined,
        ),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }
  }

  count(op: string): number {
    return this.requests.filter((r) => r.op === op).length;
  }

  private check(req: http.IncomingMessage, text: string): Record<string, unknown> {
    if (req.method !== "POST" || req.url !== "/")
      throw new EcsError("UnknownOperationException", `${req.method} ${req.url}`);
    if (req.headers["content-type"] !== "application/x-amz-json-1.1")
      throw new EcsError("SerializationException", `content-type ${req.headers["content-type"]}`);
    const target = req.headers["x-amz-target"];
    if (typeof target !== "string" || !target.startsWith(TARGET_PREFIX))
      throw new EcsError("UnknownOperationException", `X-Amz-Target ${String(target)}`);
    const auth = req.headers.authorization ?? "";
    if (
      !new RegExp(`^AWS4-HMAC-SHA256 Credential=[^/]+/\\d{8}/${REGION}/ecs/aws4_request, `).test(
        auth,
      )
    )
      throw new EcsError("MissingAuthenticationTokenException", "no SigV4 signature for ecs");
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new EcsError("SerializationException", "the body is not JSON");
    }
  }

  private dispatch(op: string, body: Record<string, unknown>): unknown {
    switch (op) {
      case "RunTask":
        return this.runTask(body);
      case "DescribeTasks":
        return this.describeTasks(body);
      case "StopTask":
        return this.stopTask(body);
      default:
        throw new EcsError("UnknownOperationException", `the stand-in does not serve ${op}`);
    }
  }

  private cluster(value: unknown): string {
    if (value !== undefined && typeof value !== "string")
      throw new EcsError("SerializationException", "cluster is not a string");
    const name = (value ?? "default").replace(/^arn:aws:ecs:[^:]+:\d+:cluster\//, "");
    if (!this.clusters.includes(name))
      throw new EcsError("ClusterNotFoundException", "Cluster not found.");
    return name;
  }

  private runTask(body: Record<string, unknown>): unknown {
    const cluster = this.cluster(body.cluster);
    if (typeof body.taskDefinition !== "string")
      throw new EcsError("InvalidParameterException", "taskDefinition can not be blank.");
    const family = body.taskDefinition
      .replace(/^arn:aws:ecs:[^:]+:\d+:task-definition\//, "")
      .replace(/:\d+$/, "");
    const containers = this.taskDefinitions[family];
    if (!containers) throw new EcsError("ClientException", "Unable to describe task definition.");
    const count = (body.count as number | undefined) ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10)
      throw new EcsError("InvalidParameterException", "count must be between 1 and 10.");
    const startedBy = body.startedBy as string | undefined;
    if (startedBy !== undefined && !/^[A-Za-z0-9/_-]{1,128}$/.test(startedBy))
      throw new EcsError("InvalidParameterException", `startedBy ${startedBy} is not valid.`);
    const token = body.clientToken as string | undefined;
    if (token !== undefined && !/^[\x21-\x7e]{1,64}$/.test(token))
      throw new EcsError("InvalidParameterException", "clientToken is not valid.");
    const overrides = (body.overrides ?? {}) as {
      containerOverrides?: { name?: string; environment?: { name: string; value: string }[] }[];
    };
    for (const o of overrides.containerOverrides ?? [])
      if (!containers.some((c) => c.name === o.name))
        throw new EcsError(
          "InvalidParameterException",
          `Override for container named ${o.name} is not a container in the TaskDefinition.`,
        );
    const key = `${cluster}\n${token}`;
    const params = JSON.stringify({ ...body, clientToken: undefined });
    if (token !== undefined) {
      const earlier = this.tokens.get(key);
      if (earlier) {
        if (earlier.params !== params)
          throw new EcsError(
            "ConflictException",
            "The clientToken was used with other parameters.",
          );
        return earlier.response;
      }
    }
    const clusterArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`;
    let response: unknown;
    if (this.placementFailure) {
      response = {
        tasks: [],
        failures: [
          {
            arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${cluster}/5f1b2c3d4e`,
            reason: this.placementFailure,
          },
        ],
      };
    } else {
      const definition = containers[0]!;
      const env =
        overrides.containerOverrides?.find((o) => o.name === definition.name)?.environment ?? [];
      const task = this.launch(clusterArn, family, definition, env, startedBy, body.overrides);
      response = { tasks: [this.describe(task)], failures: [] };
    }
    if (token !== undefined) this.tokens.set(key, { params, response });
    return response;
  }

  private launch(
    clusterArn: string,
    family: string,
    definition: ContainerDefinition,
    env: readonly { name: string; value: string }[],
    startedBy: string | undefined,
    overrides: unknown,
  ): StandInTask {
    const id = randomUUID().replace(/-/g, "");
    const task: StandInTask = {
      taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${clusterArn.split("/")[1]}/${id}`,
      clusterArn,
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:1`,
      startedBy,
      overrides: overrides ?? { containerOverrides: [] },
      createdAt: Date.now() / 1000,
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      container: { name: definition.name, lastStatus: "PENDING" },
      output: "",
    };
    this.tasks.set(task.taskArn, task);
    const [command, ...args] = definition.command;
    const child = spawn(command!, args, {
      cwd: definition.cwd,
      env: { PATH: process.env.PATH, ...Object.fromEntries(env.map((e) => [e.name, e.value])) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    task.process = child;
    child.stdout?.on("data", (b: Buffer) => (task.output += b.toString("utf8")));
    child.stderr?.on("data", (b: Buffer) => (task.output += b.toString("utf8")));
    const stopped = (now: number) => {
      task.lastStatus = "STOPPED";
      task.desiredStatus = "STOPPED";
      task.stoppedAt = now;
      task.container.lastStatus = "STOPPED";
    };
    child.on("spawn", () => {
      task.lastStatus = "RUNNING";
      task.startedAt = Date.now() / 1000;
      task.container.lastStatus = "RUNNING";
    });
    child.on("error", (e) => {
      task.stopCode = "TaskFailedToStart";
      task.stoppedReason = `CannotStartContainerError: ${e.message}`;
      task.container.reason = `CannotStartContainerError: ${e.message}`;
      stopped(Date.now() / 1000);
    });
    child.on("exit", (code, signal) => {
      task.container.exitCode = code ?? 128 + (SIGNALS[signal ?? ""] ?? 0);
      task.stopCode ??= "EssentialContainerExited";
      task.stoppedReason ??= "Essential container in task exited";
      stopped(Date.now() / 1000);
    });
    return task;
  }

  private describeTasks(body: Record<string, unknown>): unknown {
    this.cluster(body.cluster);
    const wanted = body.tasks;
    if (!Array.isArray(wanted) || wanted.length === 0 || wanted.length > 100)
      throw new EcsError("InvalidParameterException", "Tasks cannot be empty.");
    const tasks: unknown[] = [];
    const failures: unknown[] = [];
    for (const arn of wanted as string[]) {
      const task = this.tasks.get(arn);
      if (task) tasks.push(this.describe(task));
      else failures.push({ arn, reason: "MISSING" });
    }
    return { tasks, failures };
  }

  private stopTask(body: Record<string, unknown>): unknown {
    this.cluster(body.cluster);
    const task = this.tasks.get(String(body.task));
    if (!task)
      throw new EcsError("InvalidParameterException", "The referenced task was not found.");
    if (task.desiredStatus !== "STOPPED") {
      task.desiredStatus = "STOPPED";
      task.stopCode = "UserInitiated";
      task.stoppedReason = (body.reason as string | undefined) ?? "Task stopped by user";
      task.stoppingAt = Date.now() / 1000;
      const child = task.process;
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        }, STOP_TIMEOUT_MS).unref();
      }
    }
    return { task: this.describe(task) };
  }

  /** A Task as the API returns it: only the fields set, timestamps in epoch seconds. */
  private describe(task: StandInTask): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      taskArn: task.taskArn,
      clusterArn: task.clusterArn,
      taskDefinitionArn: task.taskDefinitionArn,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      startedBy: task.startedBy,
      createdAt: task.createdAt,
      startedAt: task.startedAt,
      stoppingAt: task.stoppingAt,
      stoppedAt: task.stoppedAt,
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      overrides: task.overrides,
      containers: [
        {
          containerArn: `${task.taskArn.replace(":task/", ":container/")}/${task.container.name}`,
          taskArn: task.taskArn,
          ...task.container,
        },
      ],
    };
    return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  }
}

// --- the services under test ---------------------------------------------------------------------

interface Service {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/** The sample service's own app (src/app.mjs), listening on 127.0.0.1: passes its live suite. */
async function sampleService(): Promise<Service> {
  const appUrl = pathToFileURL(join(SAMPLE, "src/app.mjs")).href;
  const { createApp } = (await import(appUrl)) as {
    createApp: (o: { service: string; revision: string }) => http.Server;
  };
  return listening(createApp({ service: "api", revision: "unknown" }));
}

async function listening(server: http.Server): Promise<Service> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/** An HTTP server on 127.0.0.1 with the given handler. */
async function httpService(handler: http.RequestListener): Promise<Service> {
  return listening(http.createServer(handler));
}

// --- ECS's side of the hook ----------------------------------------------------------------------

interface Invocation {
  readonly answer: HookResponse;
  readonly log: Record<string, unknown>[];
  readonly ms: number;
}

/** One invocation: a new Node.js process imports index.mjs and calls `handler(event)`. */
async function invokeHook(endpoint: string, event: unknown): Promise<Invocation> {
  const runner = [
    "const { handler } = await import(process.argv[1]);",
    'let input = ""; for await (const chunk of process.stdin) input += chunk;',
    "const answer = await handler(JSON.parse(input));",
    `process.stdout.write(${JSON.stringify(ANSWER)} + JSON.stringify(answer) + "\\n");`,
  ].join("\n");
  const started = Date.now();
  const result = await run(
    process.execPath,
    ["--input-type=module", "-e", runner, pathToFileURL(HANDLER).href],
    {
      cwd: ROOT,
      timeoutMs: 30_000,
      input: JSON.stringify(event),
      env: {
        AWS_ENDPOINT_URL_ECS: endpoint,
        AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
        AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        AWS_REGION: REGION,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_ENDPOINT_URL: undefined,
        AWS_CONFIG_FILE: "/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    },
  );
  const lines = result.stdout.split("\n").filter((l) => l.trim() !== "");
  const answerLine = lines.find((l) => l.startsWith(ANSWER));
  if (result.code !== 0 || !answerLine)
    throw new Error(
      `the handler process exited ${result.code}:\n${result.stdout}\n${result.stderr}`,
    );
  return {
    answer: JSON.parse(answerLine.slice(ANSWER.length)) as HookResponse,
    log: lines
      .filter((l) => !l.startsWith(ANSWER))
      .map((l) => JSON.parse(l) as Record<string, unknown>),
    ms: Date.now() - started,
  };
}

const DEPLOYMENT = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/prod/prod-api/EZe5RNVLH6PPzHXINuP28`;

/** The event ECS sends at `stage` (the developer guide's payload), with the configured details. */
function hookEvent(stage: string, details: HookDetails): Record<string, unknown> {
  return {
    executionId: randomUUID(),
    lifecycleStage: stage,
    resourceArn: DEPLOYMENT,
    executionDetails: {
      serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/prod-api`,
      targetServiceRevisionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/prod/prod-api/9313423515462893900`,
      testTrafficWeights: {},
      productionTrafficWeights: {},
    },
    hookDetails: JSON.parse(renderHookDetails(details)) as unknown,
  };
}

/**
 * Invokes the hook until it answers SUCCEEDED or FAILED (at most `maxCalls` times), passing back
 * the hookDetails of each IN_PROGRESS answer merged over the configured ones.
 */
async function runDeploymentStage(endpoint: string, first: Record<string, unknown>, maxCalls = 60) {
  const invocations: Invocation[] = [];
  let event = first;
  for (let i = 0; i < maxCalls; i++) {
    const invocation = await invokeHook(endpoint, event);
    invocations.push(invocation);
    const { answer } = invocation;
    if (answer.hookStatus !== "IN_PROGRESS") return invocations;
    expect(answer.callBackDelay).toBe(30);
    event = {
      ...first,
      executionId: randomUUID(),
      hookDetails: { ...(first.hookDetails as object), ...answer.hookDetails },
    };
    await sleep(200);
  }
  throw new Error(`no verdict after ${maxCalls} invocations`);
}

// --- the cases -----------------------------------------------------------------------------------

const LIVE_SUITE = readdirSync(join(SAMPLE, "test/live"))
  .filter((f) => f.endsWith(".test.mjs"))
  .map((f) => `test/live/${f}`);

const TASK_DEFINITIONS = {
  // What the tests task definition's container runs: the image's `ci-test live`.
  "prod-api-tests": [
    {
      name: "tests",
      command: [process.execPath, "--test", "--test-reporter=spec", ...LIVE_SUITE],
      cwd: SAMPLE,
    },
  ],
  // An image whose entry point does not exist: the container cannot start.
  "prod-broken-tests": [{ name: "tests", command: ["/nonexistent/ci-test", "live"], cwd: SAMPLE }],
};

describe("the integration-hook Lambda against an ECS stand-in", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(service: Service | undefined) {
    if (service) cleanups.push(() => service.stop());
    const ecs = new EcsStandIn(["prod"], TASK_DEFINITIONS);
    const endpoint = await ecs.start();
    cleanups.push(() => ecs.stop());
    return { ecs, endpoint };
  }

  const details = (baseUrl: string, overrides: Partial<HookDetails> = {}): HookDetails => ({
    suite: "pre-integration",
    baseUrl,
    cluster: "prod",
    taskDefinition: "prod-api-tests",
    timeoutSeconds: 60,
    ...overrides,
  });

  it("passes the pre-integration tests of a healthy service: SUCCEEDED, one task, whatever ECS repeats", async () => {
    const service = await sampleService();
    const { ecs, endpoint } = await setUp(service);
    const first = hookEvent("POST_TEST_TRAFFIC_SHIFT", details(service.baseUrl));

    // ECS repeats the first invocation (its answer was lost): the same task, not a second one.
    const repeat = await invokeHook(endpoint, first);
    const invocations = await runDeploymentStage(endpoint, first);
    const last = invocations.at(-1)!;

    expect(last.answer).toEqual({ hookStatus: "SUCCEEDED" });
    expect(ecs.tasks.size).toBe(1);
    expect(ecs.count("RunTask")).toBe(2);
    const task = [...ecs.tasks.values()][0]!;
    expect(repeat.answer).toMatchObject({ hookDetails: { testTaskArn: task.taskArn } });
    expect(invocations[0]!.answer).toMatchObject({ hookDetails: { testTaskArn: task.taskArn } });
    expect(task.container.exitCode).toBe(0);
    expect(task.output).toContain("answers /health with the revision this build deployed");

    // What the real SDK put on the wire for RunTask.
    const runTask = ecs.requests.find((r) => r.op === "RunTask")!.body;
    expect(runTask).toEqual({
      cluster: "prod",
      taskDefinition: "prod-api-tests",
      count: 1,
      startedBy: task.startedBy,
      clientToken: task.startedBy,
      overrides: {
        containerOverrides: [
          {
            name: "tests",
            environment: [
              { name: "BASE_URL", value: service.baseUrl },
              { name: "TEST_SUITE", value: "pre-integration" },
            ],
          },
        ],
      },
    });
    expect(last.log).toEqual([
      expect.objectContaining({
        service: "prod-api",
        suite: "pre-integration",
        task: task.taskArn,
        outcome: "passed",
        hookStatus: "SUCCEEDED",
      }),
    ]);
    console.log(
      `pass: a repeated first invocation, then ${invocations.length} invocations of ${invocations.map((i) => i.ms).join("/")} ms`,
    );
  });

  it("fails the deployment when the service answers 500: the pre-tests exit 1, FAILED", async () => {
    const service = await httpService((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":"boom"}\n');
    });
    const { ecs, endpoint } = await setUp(service);
    const invocations = await runDeploymentStage(
      endpoint,
      hookEvent("POST_TEST_TRAFFIC_SHIFT", details(service.baseUrl)),
    );
    const last = invocations.at(-1)!;
    expect(last.answer).toEqual({ hookStatus: "FAILED" });
    const task = [...ecs.tasks.values()][0]!;
    expect(task.container.exitCode).toBe(1);
    expect(task.output).toContain("500");
    expect(last.log).toEqual([
      expect.objectContaining({
        outcome: "failed",
        reason: expect.stringMatching(/^tests exited 1 /),
      }),
    ]);
    expect(ecs.count("StopTask")).toBe(0);
  });

  it("stops the test task and fails when the tests outlast timeoutSeconds", async () => {
    const held: http.ServerResponse[] = [];
    const service = await httpService((_req, res) => void held.push(res)); // never answers
    const { ecs, endpoint } = await setUp(service);
    const started = Date.now();
    const invocations = await runDeploymentStage(
      endpoint,
      hookEvent(
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        details(service.baseUrl, { suite: "post-integration", timeoutSeconds: 2 }),
      ),
    );
    const last = invocations.at(-1)!;
    expect(last.answer).toEqual({ hookStatus: "FAILED" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(last.log).toEqual([
      expect.objectContaining({ suite: "post-integration", outcome: "timed-out" }),
    ]);
    const stop = ecs.requests.filter((r) => r.op === "StopTask");
    const task = [...ecs.tasks.values()][0]!;
    expect(stop.map((r) => r.body)).toEqual([
      { cluster: "prod", task: task.taskArn, reason: "post-integration tests timed out after 2 s" },
    ]);
    await waitFor(
      "the stopped task's process to exit",
      () => Promise.resolve(task.lastStatus === "STOPPED" || undefined),
      { timeoutMs: STOP_TIMEOUT_MS + 5_000, intervalMs: 50 },
    );
    expect(task.stopCode).toBe("UserInitiated");
    expect(task.stoppedReason).toBe("post-integration tests timed out after 2 s");
  });

  it("fails when the test container cannot start: the task stops without an exit code", async () => {
    const { ecs, endpoint } = await setUp(undefined);
    const invocations = await runDeploymentStage(
      endpoint,
      hookEvent(
        "POST_TEST_TRAFFIC_SHIFT",
        details("http://127.0.0.1:9", { taskDefinition: "prod-broken-tests" }),
      ),
    );
    const last = invocations.at(-1)!;
    expect(last.answer).toEqual({ hookStatus: "FAILED" });
    expect([...ecs.tasks.values()][0]!.stopCode).toBe("TaskFailedToStart");
    expect(last.log[0]?.reason).toMatch(
      /^the task stopped without an exit code from tests \(stopCode TaskFailedToStart/,
    );
  });

  it("fails at once when RunTask cannot place the task, naming the failure", async () => {
    const { ecs, endpoint } = await setUp(undefined);
    ecs.placementFailure = "RESOURCE:MEMORY";
    const invocations = await runDeploymentStage(
      endpoint,
      hookEvent("POST_TEST_TRAFFIC_SHIFT", details("http://127.0.0.1:9")),
    );
    expect(invocations).toHaveLength(1);
    expect(invocations[0]!.answer).toEqual({ hookStatus: "FAILED" });
    expect(invocations[0]!.log[0]?.reason).toMatch(
      /^RunTask started no task: RESOURCE:MEMORY arn:aws:ecs:/,
    );
    expect(ecs.tasks.size).toBe(0);
  });

  it("fails, saying why, when the ECS API answers with an error", async () => {
    const { ecs, endpoint } = await setUp(undefined);
    const invocations = await runDeploymentStage(
      endpoint,
      hookEvent("POST_TEST_TRAFFIC_SHIFT", details("http://127.0.0.1:9", { cluster: "staging" })),
    );
    expect(invocations[0]!.answer).toEqual({ hookStatus: "FAILED" });
    expect(invocations[0]!.log[0]).toMatchObject({
      outcome: "error",
      reason: "ClusterNotFoundException: Cluster not found.",
    });
    expect(ecs.count("RunTask")).toBe(1);
  });
});
