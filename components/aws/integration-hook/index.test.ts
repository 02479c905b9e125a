import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOOK_ECS_ACTIONS, SUITE_STAGES as DETAILS_SUITE_STAGES } from "./hook-details";
import { renderHookDetails, type HookDetails, type TestSuite } from "./hook-details";
import * as hook from "./index.mjs";
import type { EcsApi, EcsFailure, EcsTask, HookResponse } from "./index.mjs";

const DEPLOYMENT =
  "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/prod-api/EZe5RNVLH6PPzHXINuP28";
const SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/prod/prod-api";
const TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/0b6f3c1e2d";
const T0 = Date.UTC(2026, 11, 4, 19, 0, 0);

const PRE: HookDetails = {
  suite: "pre-integration",
  baseUrl: "http://api.us-east-1.example.com:8080",
  cluster: "prod",
  taskDefinition: "prod-api-tests",
  timeoutSeconds: 900,
};

/** An ECS hook event as the developer guide documents it (lambda-lifecycle-hooks.html). */
function event(
  details: Record<string, unknown> | string,
  overrides: { stage?: string; deployment?: string } = {},
): Record<string, unknown> {
  const parsed = (typeof details === "string" ? JSON.parse(details) : details) as {
    suite?: TestSuite;
  };
  const suite = parsed.suite ?? PRE.suite;
  return {
    executionId: "3a0345ba-b029-404b-890d-7da2a4b266aa",
    lifecycleStage: overrides.stage ?? hook.SUITE_STAGES[suite] ?? "POST_TEST_TRAFFIC_SHIFT",
    resourceArn: overrides.deployment ?? DEPLOYMENT,
    executionDetails: {
      serviceArn: SERVICE_ARN,
      targetServiceRevisionArn:
        "arn:aws:ecs:us-east-1:123456789012:service-revision/prod/prod-api/9313423515462893900",
      testTrafficWeights: {},
      productionTrafficWeights: {},
    },
    hookDetails: details,
  };
}

/** The event ECS sends after an IN_PROGRESS answer: configured details merged with the returned ones. */
function nextEvent(previous: Record<string, unknown>, answer: HookResponse) {
  if (answer.hookStatus !== "IN_PROGRESS")
    throw new Error(`no next call after ${answer.hookStatus}`);
  const configured =
    typeof previous.hookDetails === "string"
      ? (JSON.parse(previous.hookDetails) as Record<string, unknown>)
      : (previous.hookDetails as Record<string, unknown>);
  return { ...previous, hookDetails: { ...configured, ...answer.hookDetails } };
}

interface Call {
  readonly op: "RunTask" | "DescribeTasks" | "StopTask";
  readonly input: unknown;
}

/**
 * A fake ECS that records every call. RunTask keeps the API's clientToken contract: a repeat with
 * the same token and parameters returns the first result and starts nothing.
 */
function fakeEcs(
  options: {
    runTask?: () => { tasks?: EcsTask[]; failures?: EcsFailure[] };
    described?: () => EcsTask | undefined;
    fail?: Partial<Record<Call["op"], Error>>;
  } = {},
) {
  const calls: Call[] = [];
  const byToken = new Map<string, { params: string; result: unknown }>();
  let started = 0;
  const ecs: EcsApi = {
    runTask(input) {
      calls.push({ op: "RunTask", input });
      if (options.fail?.RunTask) return Promise.reject(options.fail.RunTask);
      const params = JSON.stringify(input);
      const earlier = byToken.get(input.clientToken);
      if (earlier) {
        if (earlier.params !== params) return Promise.reject(new Error("ConflictException"));
        return Promise.resolve(earlier.result as { tasks?: EcsTask[] });
      }
      started += 1;
      const result = options.runTask?.() ?? {
        tasks: [{ taskArn: TASK_ARN, lastStatus: "PROVISIONING", createdAt: new Date(T0) }],
        failures: [],
      };
      byToken.set(input.clientToken, { params, result });
      return Promise.resolve(result);
    },
    describeTasks(input) {
      calls.push({ op: "DescribeTasks", input });
      if (options.fail?.DescribeTasks) return Promise.reject(options.fail.DescribeTasks);
      const task = options.described?.();
      return Promise.resolve(
        task
          ? { tasks: [task], failures: [] }
          : { tasks: [], failures: [{ arn: TASK_ARN, reason: "MISSING" }] },
      );
    },
    stopTask(input) {
      calls.push({ op: "StopTask", input });
      if (options.fail?.StopTask) return Promise.reject(options.fail.StopTask);
      return Promise.resolve({ task: { taskArn: input.task, desiredStatus: "STOPPED" } });
    },
  };
  return { ecs, calls, started: () => started };
}

/** Runs one invocation with a fake clock and a log that keeps its lines. */
async function invoke(
  ev: unknown,
  ecs: EcsApi,
  nowMs = T0,
): Promise<{ answer: HookResponse; log: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const answer = await hook.runHook(ev, { ecs, now: () => nowMs, log: (l) => lines.push(l) });
  return { answer, log: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const stopped = (
  container: Partial<NonNullable<EcsTask["containers"]>[number]>,
  task: Partial<EcsTask> = {},
): EcsTask => ({
  taskArn: TASK_ARN,
  lastStatus: "STOPPED",
  desiredStatus: "STOPPED",
  stopCode: "EssentialContainerExited",
  stoppedReason: "Essential container in task exited",
  containers: [{ name: "tests", lastStatus: "STOPPED", ...container }],
  ...task,
});

const STATE = { testTaskArn: TASK_ARN, testStartedAt: T0 };

describe("runHook: the first invocation", () => {
  it("runs the tests task with BASE_URL and TEST_SUITE and answers IN_PROGRESS with the task", async () => {
    const fake = fakeEcs();
    const { answer, log } = await invoke(event({ ...PRE }), fake.ecs);
    const token = hook.startedByToken(DEPLOYMENT, "pre-integration");
    expect(fake.calls).toEqual([
      {
        op: "RunTask",
        input: {
          cluster: "prod",
          taskDefinition: "prod-api-tests",
          count: 1,
          startedBy: token,
          clientToken: token,
          overrides: {
            containerOverrides: [
              {
                name: "tests",
                environment: [
                  { name: "BASE_URL", value: "http://api.us-east-1.example.com:8080" },
                  { name: "TEST_SUITE", value: "pre-integration" },
                ],
              },
            ],
          },
        },
      },
    ]);
    expect(answer).toEqual({
      hookStatus: "IN_PROGRESS",
      callBackDelay: 30,
      hookDetails: { ...PRE, testTaskArn: TASK_ARN, testStartedAt: T0 },
    });
    expect(log).toEqual([
      {
        hook: "integration-tests",
        service: "prod-api",
        suite: "pre-integration",
        stage: "POST_TEST_TRAFFIC_SHIFT",
        deployment: DEPLOYMENT,
        startedBy: token,
        task: TASK_ARN,
        outcome: "started",
        hookStatus: "IN_PROGRESS",
        reason: "prod-api-tests on prod: tests with BASE_URL=http://api.us-east-1.example.com:8080",
      },
    ]);
  });

  it("reads hookDetails given as the JSON string renderHookDetails makes", async () => {
    const fake = fakeEcs();
    const { answer } = await invoke(event(renderHookDetails(PRE)), fake.ecs);
    expect(answer.hookStatus).toBe("IN_PROGRESS");
    expect(fake.calls[0]?.input).toMatchObject({
      taskDefinition: "prod-api-tests",
      cluster: "prod",
    });
  });

  it("starts one task when ECS repeats the first invocation: the same clientToken returns the first task", async () => {
    const fake = fakeEcs();
    const first = await invoke(event({ ...PRE }), fake.ecs);
    const again = await invoke(event({ ...PRE }), fake.ecs, T0 + 5_000);
    expect(fake.started()).toBe(1);
    const tokens = fake.calls.map((c) => (c.input as { clientToken: string }).clientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
    expect(again.answer).toEqual(first.answer);
  });

  it("uses a different token for the other suite and for another deployment", () => {
    const pre = hook.startedByToken(DEPLOYMENT, "pre-integration");
    expect(hook.startedByToken(DEPLOYMENT, "post-integration")).not.toBe(pre);
    expect(hook.startedByToken(`${DEPLOYMENT}x`, "pre-integration")).not.toBe(pre);
    expect(pre).toMatch(/^pre-[0-9a-f]{24}$/);
  });

  it("fails when RunTask places no task, naming the failures", async () => {
    const fake = fakeEcs({
      runTask: () => ({
        tasks: [],
        failures: [
          {
            arn: "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/1f2e",
            reason: "RESOURCE:MEMORY",
          },
        ],
      }),
    });
    const { answer, log } = await invoke(event({ ...PRE }), fake.ecs);
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(fake.calls.map((c) => c.op)).toEqual(["RunTask"]);
    expect(log[0]).toMatchObject({
      outcome: "failed",
      hookStatus: "FAILED",
      reason:
        "RunTask started no task: RESOURCE:MEMORY arn:aws:ecs:us-east-1:123456789012:container-instance/prod/1f2e",
    });
  });
});

describe("runHook: later invocations", () => {
  const polled = { ...PRE, ...STATE };

  it("succeeds when the task stopped and tests exited 0", async () => {
    const fake = fakeEcs({ described: () => stopped({ exitCode: 0 }) });
    const { answer, log } = await invoke(event(polled), fake.ecs, T0 + 60_000);
    expect(answer).toEqual({ hookStatus: "SUCCEEDED" });
    expect(fake.calls).toEqual([
      { op: "DescribeTasks", input: { cluster: "prod", tasks: [TASK_ARN] } },
    ]);
    expect(log[0]).toMatchObject({ task: TASK_ARN, outcome: "passed", hookStatus: "SUCCEEDED" });
  });

  it("fails when tests exited non-zero", async () => {
    const fake = fakeEcs({ described: () => stopped({ exitCode: 1 }) });
    const { answer, log } = await invoke(event(polled), fake.ecs, T0 + 60_000);
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(log[0]).toMatchObject({
      outcome: "failed",
      reason:
        'tests exited 1 (stopCode EssentialContainerExited, stoppedReason "Essential container in task exited")',
    });
  });

  it("fails when the task stopped without an exit code (it never started)", async () => {
    const fake = fakeEcs({
      described: () =>
        stopped(
          { reason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)" },
          {
            stopCode: "TaskFailedToStart",
            stoppedReason: "CannotPullContainerError: ref not found",
          },
        ),
    });
    const { answer, log } = await invoke(event(polled), fake.ecs, T0 + 60_000);
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(log[0]?.reason).toBe(
      'the task stopped without an exit code from tests (stopCode TaskFailedToStart, stoppedReason "CannotPullContainerError: ref not found", container reason "CannotPullContainerError: pull image manifest has been retried 5 time(s)")',
    );
  });

  it("fails when the stopped task has no tests container", async () => {
    const fake = fakeEcs({
      described: () => ({ ...stopped({}), containers: [{ name: "app", exitCode: 0 }] }),
    });
    const { answer } = await invoke(event(polled), fake.ecs, T0 + 60_000);
    expect(answer).toEqual({ hookStatus: "FAILED" });
  });

  it("answers IN_PROGRESS with the same state while the task runs within the timeout", async () => {
    const fake = fakeEcs({ described: () => ({ taskArn: TASK_ARN, lastStatus: "RUNNING" }) });
    const { answer, log } = await invoke(event(polled), fake.ecs, T0 + 899_000);
    expect(answer).toEqual({ hookStatus: "IN_PROGRESS", callBackDelay: 30, hookDetails: polled });
    expect(fake.calls.map((c) => c.op)).toEqual(["DescribeTasks"]);
    expect(log[0]).toMatchObject({ outcome: "running", reason: "RUNNING for 899 s of 900 s" });
  });

  it("stops the task and fails when it is still running after timeoutSeconds", async () => {
    const fake = fakeEcs({ described: () => ({ taskArn: TASK_ARN, lastStatus: "RUNNING" }) });
    const { answer, log } = await invoke(event(polled), fake.ecs, T0 + 900_000);
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(fake.calls).toEqual([
      { op: "DescribeTasks", input: { cluster: "prod", tasks: [TASK_ARN] } },
      {
        op: "StopTask",
        input: {
          cluster: "prod",
          task: TASK_ARN,
          reason: "pre-integration tests timed out after 900 s",
        },
      },
    ]);
    expect(log[0]).toMatchObject({
      outcome: "timed-out",
      reason: "still RUNNING after 900 s (timeout 900 s): stopped the task",
    });
  });

  it("fails when DescribeTasks does not know the task", async () => {
    const fake = fakeEcs({ described: () => undefined });
    const { answer, log } = await invoke(event(polled), fake.ecs, T0 + 60_000);
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(log[0]?.reason).toBe("DescribeTasks does not know the test task: MISSING");
  });
});

describe("runHook: errors and refusals", () => {
  it.each<[string, Partial<Record<Call["op"], Error>>, Record<string, unknown>]>([
    ["RunTask throws", { RunTask: new Error("AccessDeniedException: not authorized") }, { ...PRE }],
    [
      "DescribeTasks throws",
      { DescribeTasks: new Error("ThrottlingException: rate exceeded") },
      { ...PRE, ...STATE },
    ],
  ])("answers FAILED and logs why when %s", async (_name, fail, details) => {
    const fake = fakeEcs({ fail, described: () => ({ taskArn: TASK_ARN, lastStatus: "RUNNING" }) });
    const { answer, log } = await invoke(event(details), fake.ecs);
    expect(answer).toEqual({ hookStatus: "FAILED" });
    const error = Object.values(fail)[0]!;
    expect(log).toEqual([
      expect.objectContaining({ outcome: "error", reason: `Error: ${error.message}` }),
    ]);
  });

  it("answers FAILED when StopTask throws on a timeout", async () => {
    const fake = fakeEcs({
      fail: { StopTask: new Error("ServerException: try again") },
      described: () => ({ taskArn: TASK_ARN, lastStatus: "RUNNING" }),
    });
    const { answer, log } = await invoke(event({ ...PRE, ...STATE }), fake.ecs, T0 + 1_000_000);
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(log[0]).toMatchObject({ outcome: "error", task: TASK_ARN });
  });

  it("refuses an invocation at a stage its suite does not run at, calling nothing", async () => {
    const fake = fakeEcs();
    const { answer, log } = await invoke(
      event({ ...PRE }, { stage: "POST_PRODUCTION_TRAFFIC_SHIFT" }),
      fake.ecs,
    );
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(fake.calls).toEqual([]);
    expect(log[0]).toMatchObject({
      service: "prod-api",
      suite: "pre-integration",
      stage: "POST_PRODUCTION_TRAFFIC_SHIFT",
      outcome: "refused",
      reason:
        "Error: suite pre-integration runs at POST_TEST_TRAFFIC_SHIFT, but ECS invoked the hook at POST_PRODUCTION_TRAFFIC_SHIFT: fix the hook's lifecycleStages",
    });
  });

  it("refuses hookDetails it cannot use, listing every bad field", async () => {
    const fake = fakeEcs();
    const { answer, log } = await invoke(
      event(
        { suite: "smoke", baseUrl: "", cluster: "prod", timeoutSeconds: 0 },
        { stage: "POST_TEST_TRAFFIC_SHIFT" },
      ),
      fake.ecs,
    );
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(fake.calls).toEqual([]);
    expect(log[0]?.reason).toBe(
      'Error: hookDetails: suite "smoke" is not pre-integration or post-integration; baseUrl is missing; taskDefinition is missing; timeoutSeconds 0 is not a whole number >= 1',
    );
  });

  it.each([
    ["no event", undefined, "the event is not an object"],
    [
      "no hookDetails",
      { lifecycleStage: "POST_TEST_TRAFFIC_SHIFT", resourceArn: DEPLOYMENT },
      "the event has no hookDetails: configure them on the service's hook",
    ],
    [
      "no resourceArn",
      { lifecycleStage: "POST_TEST_TRAFFIC_SHIFT", hookDetails: PRE },
      "the event has no resourceArn (the service deployment)",
    ],
  ])("refuses %s", async (_name, ev, reason) => {
    const fake = fakeEcs();
    const { answer, log } = await invoke(ev, fake.ecs);
    expect(answer).toEqual({ hookStatus: "FAILED" });
    expect(log[0]?.reason).toBe(`Error: ${reason}`);
  });
});

describe("runHook: a whole hook, start to verdict", () => {
  it("runs the post-integration suite through to SUCCEEDED, calling only the actions its role allows", async () => {
    const post: HookDetails = {
      ...PRE,
      suite: "post-integration",
      baseUrl: "http://api.us-east-1.example.com",
    };
    let status = "PENDING";
    const fake = fakeEcs({
      described: () =>
        status === "STOPPED" ? stopped({ exitCode: 0 }) : { taskArn: TASK_ARN, lastStatus: status },
    });
    let ev = event(renderHookDetails(post));
    const statuses: string[] = [];
    for (const [i, next] of ["PENDING", "RUNNING", "STOPPED", "STOPPED"].entries()) {
      const { answer } = await invoke(ev, fake.ecs, T0 + i * 30_000);
      statuses.push(answer.hookStatus);
      if (answer.hookStatus !== "IN_PROGRESS") break;
      ev = nextEvent(ev, answer);
      status = next;
    }
    expect(statuses).toEqual(["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED"]);
    expect(fake.started()).toBe(1);
    const timedOut = fakeEcs({ described: () => ({ taskArn: TASK_ARN, lastStatus: "RUNNING" }) });
    await invoke(event({ ...post, ...STATE }), timedOut.ecs, T0 + 10_000_000);
    const actions = new Set([...fake.calls, ...timedOut.calls].map((c) => `ecs:${c.op}`));
    expect([...actions].sort()).toEqual([...HOOK_ECS_ACTIONS]);
  });
});

describe("startedByToken", () => {
  it("is a valid startedBy and clientToken, and the same for the same deployment and suite", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300 }),
        fc.constantFrom<TestSuite>("pre-integration", "post-integration"),
        (deployment, suite) => {
          const token = hook.startedByToken(deployment, suite);
          expect(token).toBe(hook.startedByToken(deployment, suite));
          // startedBy: at most 36 letters, digits, - / _ (StartTask's limit; RunTask allows 128).
          expect(token).toMatch(/^[A-Za-z0-9/_-]{1,36}$/);
          // clientToken: at most 64 ASCII characters 33-126.
          expect(token).toMatch(/^[\x21-\x7e]{1,64}$/);
        },
      ),
    );
  });
});

describe("judgeTask", () => {
  const clock = { nowMs: T0 + 10_000, startedAtMs: T0, timeoutSeconds: 10 };
  it.each<[string, EcsTask, string]>([
    ["a task stopped with exit 0", stopped({ exitCode: 0 }), "passed"],
    ["a task stopped with exit 2", stopped({ exitCode: 2 }), "failed"],
    ["a task stopped with no exit code", stopped({}), "failed"],
    ["a task stopped with exit 0 just at the timeout", stopped({ exitCode: 0 }), "passed"],
    ["a running task at the timeout", { lastStatus: "RUNNING" }, "timed-out"],
    ["a pending task at the timeout", { lastStatus: "PENDING" }, "timed-out"],
  ])("judges %s", (_name, task, verdict) => {
    expect(hook.judgeTask(task, clock).verdict).toBe(verdict);
  });

  it("judges a running task within the timeout as running", () => {
    expect(hook.judgeTask({ lastStatus: "RUNNING" }, { ...clock, nowMs: T0 + 9_999 }).verdict).toBe(
      "running",
    );
  });
});

describe("index.mjs, the Lambda's code", () => {
  const source = readFileSync(join(__dirname, "index.mjs"), "utf8");

  it("imports only Node built-ins at the top: the SDK is imported dynamically, by the handler", () => {
    const staticImports = [...source.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gm)].map(
      (m) => m[1],
    );
    expect(staticImports).toEqual(["node:crypto"]);
    expect(source).toContain('import("@aws-sdk/client-ecs")');
  });

  it("exports exactly what index.d.mts declares", () => {
    const declared = readFileSync(join(__dirname, "index.d.mts"), "utf8");
    const names = [...declared.matchAll(/^export declare (?:const|function) (\w+)/gm)].map(
      (m) => m[1],
    );
    expect(Object.keys(hook).sort()).toEqual(names.sort());
  });

  it("agrees with hook-details.ts on the test container and the suites' stages", () => {
    expect(hook.TEST_CONTAINER).toBe("tests");
    expect(hook.SUITE_STAGES).toEqual(DETAILS_SUITE_STAGES);
  });
});
