/**
 * The integration-hook Lambda: an Amazon ECS blue/green lifecycle hook that runs a service's
 * pre-integration tests (at POST_TEST_TRAFFIC_SHIFT, through the test listener) or post-integration
 * tests (at POST_PRODUCTION_TRAFFIC_SHIFT, through port 80) as a one-off ECS task, and answers ECS
 * with the verdict. Plain ESM for the nodejs22.x runtime; the AWS SDK v3 it uses is the one the
 * runtime bundles, imported when the handler first needs it. `runHook` holds the decisions and takes
 * its ECS client as an argument, so tests drive it with a fake; `handler` adds the real SDK.
 *
 * Contracts relied on:
 *
 * Lambda hooks for Amazon ECS service deployments
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html):
 *   - The event has `executionId`, `lifecycleStage`, `resourceArn` (the service deployment's ARN,
 *     one per deployment), `executionDetails` {serviceArn, targetServiceRevisionArn,
 *     testTrafficWeights, productionTrafficWeights} and `hookDetails`: the hook's configured
 *     hookDetails object, merged with the hookDetails the previous IN_PROGRESS answer returned.
 *     Runtime hookDetails persist only between invocations of the same hook in one deployment.
 *   - The function returns {hookStatus: SUCCEEDED | FAILED | IN_PROGRESS}; with IN_PROGRESS,
 *     optionally callBackDelay (seconds, default 30) and hookDetails (passed back next time).
 *     FAILED, an invalid answer or an error in the function rolls the deployment back.
 * Lifecycle hooks for Amazon ECS service deployments
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html):
 *   POST_TEST_TRAFFIC_SHIFT: the green revision takes 100% of the test traffic;
 *   POST_PRODUCTION_TRAFFIC_SHIFT: the production traffic shift is complete.
 * RunTask (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html):
 *   cluster, taskDefinition (family, family:revision or ARN), count, startedBy (letters, digits,
 *   `-`, `/`, `_`; StartTask allows 36 characters, RunTask 128: tokens here are at most 29),
 *   clientToken, overrides.containerOverrides[{name, environment[{name, value}]}]; the response is
 *   {tasks, failures[{arn, reason, detail}]}: a task that could not be placed is a failure, not an
 *   error. No launchType or capacityProviderStrategy: the cluster's default strategy places it.
 * Ensuring idempotency (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html):
 *   a RunTask retried with the same clientToken (<= 64 ASCII characters 33-126, scoped to the
 *   cluster, kept 24 hours) and the same parameters returns the original request's result and
 *   starts nothing; the same token with other parameters is a ConflictException.
 * DescribeTasks (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html):
 *   {cluster, tasks[]} -> {tasks[Task], failures[{arn, reason: "MISSING"...}]}; Task has lastStatus
 *   (PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED),
 *   createdAt, stopCode (EssentialContainerExited, TaskFailedToStart, UserInitiated, ...),
 *   stoppedReason, containers[{name, lastStatus, exitCode?, reason?}]: a container that never ran
 *   has no exitCode.
 * StopTask (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html):
 *   {cluster, task, reason} -> {task}; the reason shows in later DescribeTasks as stoppedReason.
 *
 * Finding the task again: the IN_PROGRESS answer returns the task's ARN (and start time) in
 * hookDetails, which ECS passes back. A repeated first invocation (no task ARN yet) sends the
 * same RunTask with the same deterministic clientToken, so ECS returns the task the first one
 * started instead of starting another. The same token is the task's startedBy, for operators
 * (`aws ecs list-tasks --started-by <token>`); the decision log names it.
 */
import { createHash } from "node:crypto";

/** The tests task definition's container that runs `ci-test live`. */
export const TEST_CONTAINER = "tests";
/** Seconds ECS waits before invoking the hook again after IN_PROGRESS (its default, said aloud). */
export const CALLBACK_DELAY_SECONDS = 30;
/** The lifecycle stage each suite runs at. */
export const SUITE_STAGES = Object.freeze({
  "pre-integration": "POST_TEST_TRAFFIC_SHIFT",
  "post-integration": "POST_PRODUCTION_TRAFFIC_SHIFT",
});

/** @typedef {"pre-integration" | "post-integration"} TestSuite */
/**
 * The hook's configured details (hook-details.ts renders them).
 * @typedef {{ suite: TestSuite, baseUrl: string, cluster: string, taskDefinition: string, timeoutSeconds: number }} HookDetails
 */
/**
 * What the hook keeps between invocations, in the hookDetails it returns with IN_PROGRESS.
 * @typedef {{ testTaskArn: string, testStartedAt: number }} HookState
 */
/**
 * @typedef {{ hookStatus: "SUCCEEDED" | "FAILED" } | { hookStatus: "IN_PROGRESS", callBackDelay: number, hookDetails: HookDetails & HookState }} HookResponse
 */
/**
 * The subset of the ECS API the hook calls, shaped as the SDK's commands take and return them.
 * @typedef {{ name?: string, lastStatus?: string, exitCode?: number, reason?: string }} EcsContainer
 * @typedef {{ taskArn?: string, lastStatus?: string, desiredStatus?: string, createdAt?: Date, stopCode?: string, stoppedReason?: string, containers?: EcsContainer[] }} EcsTask
 * @typedef {{ arn?: string, reason?: string, detail?: string }} EcsFailure
 * @typedef {{
 *   runTask(input: ReturnType<typeof runTaskInput>): Promise<{ tasks?: EcsTask[], failures?: EcsFailure[] }>,
 *   describeTasks(input: { cluster: string, tasks: string[] }): Promise<{ tasks?: EcsTask[], failures?: EcsFailure[] }>,
 *   stopTask(input: { cluster: string, task: string, reason: string }): Promise<{ task?: EcsTask }>,
 * }} EcsApi
 */
/**
 * @typedef {{ ecs: EcsApi, now?: () => number, log?: (line: string) => void }} HookDeps
 */

/** An event the hook cannot act on: a configuration or contract problem, not a test verdict. */
class HookInputError extends Error {}

/**
 * The invocation's facts: stage, deployment, service, the configured details and, after the
 * first IN_PROGRESS, the state returned then. Throws HookInputError, naming the field.
 * @param {unknown} event
 */
export function readInvocation(event) {
  if (!event || typeof event !== "object") throw new HookInputError("the event is not an object");
  const e = /** @type {Record<string, any>} */ (event);
  const stage = e.lifecycleStage;
  const deployment = e.resourceArn;
  const serviceArn = e.executionDetails?.serviceArn;
  if (typeof stage !== "string" || stage === "")
    throw new HookInputError("the event has no lifecycleStage");
  if (typeof deployment !== "string" || deployment === "")
    throw new HookInputError("the event has no resourceArn (the service deployment)");
  let raw = e.hookDetails;
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new HookInputError("hookDetails is a string that is not JSON");
    }
  }
  if (!raw || typeof raw !== "object")
    throw new HookInputError("the event has no hookDetails: configure them on the service's hook");
  const details = readDetails(raw);
  const expected = SUITE_STAGES[details.suite];
  if (stage !== expected)
    throw new HookInputError(
      `suite ${details.suite} runs at ${expected}, but ECS invoked the hook at ${stage}: fix the hook's lifecycleStages`,
    );
  /** @type {HookState | undefined} */
  let state;
  if (typeof raw.testTaskArn === "string" && raw.testTaskArn !== "") {
    const startedAt = Number(raw.testStartedAt);
    if (!Number.isFinite(startedAt))
      throw new HookInputError(
        `hookDetails.testStartedAt ${JSON.stringify(raw.testStartedAt)} is not a time`,
      );
    state = { testTaskArn: raw.testTaskArn, testStartedAt: startedAt };
  }
  return {
    stage,
    deployment,
    service: serviceName(typeof serviceArn === "string" ? serviceArn : deployment),
    details,
    state,
  };
}

/**
 * @param {Record<string, unknown>} raw
 * @returns {HookDetails}
 */
function readDetails(raw) {
  const problems = [];
  const suite = raw.suite;
  if (suite !== "pre-integration" && suite !== "post-integration")
    problems.push(`suite ${JSON.stringify(suite)} is not pre-integration or post-integration`);
  for (const field of ["baseUrl", "cluster", "taskDefinition"])
    if (typeof raw[field] !== "string" || raw[field] === "") problems.push(`${field} is missing`);
  const timeout = raw.timeoutSeconds;
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1)
    problems.push(`timeoutSeconds ${JSON.stringify(timeout)} is not a whole number >= 1`);
  if (problems.length > 0) throw new HookInputError(`hookDetails: ${problems.join("; ")}`);
  return {
    suite: /** @type {TestSuite} */ (suite),
    baseUrl: /** @type {string} */ (raw.baseUrl),
    cluster: /** @type {string} */ (raw.cluster),
    taskDefinition: /** @type {string} */ (raw.taskDefinition),
    timeoutSeconds: /** @type {number} */ (timeout),
  };
}

/** `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>` -> `<name>`; anything else as is. */
function serviceName(/** @type {string} */ arn) {
  const match = /:service\/[^/]+\/([^/]+)$/.exec(arn);
  return match ? /** @type {string} */ (match[1]) : arn;
}

/**
 * The test task's startedBy and RunTask clientToken: the same for every invocation of one suite in
 * one deployment, different across deployments and suites. `pre-` or `post-` and 24 hex digits.
 * @param {string} deployment the service deployment ARN (the event's resourceArn)
 * @param {TestSuite} suite
 */
export function startedByToken(deployment, suite) {
  const digest = createHash("sha256").update(`${deployment}\n${suite}`).digest("hex");
  return `${suite === "pre-integration" ? "pre" : "post"}-${digest.slice(0, 24)}`;
}

/**
 * The RunTask request for one suite: the tests task definition with BASE_URL and TEST_SUITE set on
 * the tests container.
 * @param {HookDetails} details
 * @param {string} token
 */
export function runTaskInput(details, token) {
  return {
    cluster: details.cluster,
    taskDefinition: details.taskDefinition,
    count: 1,
    startedBy: token,
    clientToken: token,
    overrides: {
      containerOverrides: [
        {
          name: TEST_CONTAINER,
          environment: [
            { name: "BASE_URL", value: details.baseUrl },
            { name: "TEST_SUITE", value: details.suite },
          ],
        },
      ],
    },
  };
}

/**
 * The verdict on a described test task.
 * @param {EcsTask} task
 * @param {{ nowMs: number, startedAtMs: number, timeoutSeconds: number }} clock
 * @returns {{ verdict: "passed" | "failed" | "running" | "timed-out", reason: string }}
 */
export function judgeTask(task, clock) {
  if (task.lastStatus === "STOPPED") {
    const container = (task.containers ?? []).find((c) => c.name === TEST_CONTAINER);
    const why = [
      task.stopCode && `stopCode ${task.stopCode}`,
      task.stoppedReason && `stoppedReason ${JSON.stringify(task.stoppedReason)}`,
      container?.reason && `container reason ${JSON.stringify(container.reason)}`,
    ]
      .filter(Boolean)
      .join(", ");
    if (!container)
      return { verdict: "failed", reason: `the task has no ${TEST_CONTAINER} container (${why})` };
    if (container.exitCode === 0)
      return { verdict: "passed", reason: `${TEST_CONTAINER} exited 0` };
    if (typeof container.exitCode === "number")
      return {
        verdict: "failed",
        reason: `${TEST_CONTAINER} exited ${container.exitCode}${why ? ` (${why})` : ""}`,
      };
    return {
      verdict: "failed",
      reason: `the task stopped without an exit code from ${TEST_CONTAINER}${why ? ` (${why})` : ""}`,
    };
  }
  const elapsedSeconds = Math.max(0, (clock.nowMs - clock.startedAtMs) / 1000);
  if (elapsedSeconds >= clock.timeoutSeconds)
    return {
      verdict: "timed-out",
      reason: `still ${task.lastStatus ?? "unknown"} after ${Math.round(elapsedSeconds)} s (timeout ${clock.timeoutSeconds} s)`,
    };
  return {
    verdict: "running",
    reason: `${task.lastStatus ?? "unknown"} for ${Math.round(elapsedSeconds)} s of ${clock.timeoutSeconds} s`,
  };
}

/**
 * What the log can say of an event even when the hook refuses it: service, suite and stage as given.
 * @param {unknown} event
 * @returns {Record<string, unknown>}
 */
function rawFacts(event) {
  const e = /** @type {Record<string, any>} */ (event && typeof event === "object" ? event : {});
  const serviceArn = e.executionDetails?.serviceArn;
  const suite = e.hookDetails?.suite;
  return Object.fromEntries(
    Object.entries({
      service: typeof serviceArn === "string" ? serviceName(serviceArn) : undefined,
      suite: typeof suite === "string" ? suite : undefined,
      stage: typeof e.lifecycleStage === "string" ? e.lifecycleStage : undefined,
    }).filter(([, v]) => v !== undefined),
  );
}

/**
 * One invocation: starts the test task, or checks on it, and answers ECS. Never throws: whatever
 * goes wrong is a FAILED answer with the reason in the log (ECS rolls back either way).
 * @param {unknown} event
 * @param {HookDeps} deps
 * @returns {Promise<HookResponse>}
 */
export async function runHook(event, deps) {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line) => console.log(line));
  /** @type {Record<string, unknown>} */
  const facts = rawFacts(event);
  /**
   * @param {string} outcome
   * @param {HookResponse} response
   * @param {string} reason
   */
  const decide = (outcome, response, reason) => {
    log(
      JSON.stringify({
        hook: "integration-tests",
        ...facts,
        outcome,
        hookStatus: response.hookStatus,
        reason,
      }),
    );
    return response;
  };
  try {
    const invocation = readInvocation(event);
    const { details } = invocation;
    const token = startedByToken(invocation.deployment, details.suite);
    Object.assign(facts, {
      service: invocation.service,
      suite: details.suite,
      stage: invocation.stage,
      deployment: invocation.deployment,
      startedBy: token,
    });
    /** @param {HookState} state */
    const inProgress = (state) => ({
      hookStatus: /** @type {const} */ ("IN_PROGRESS"),
      callBackDelay: CALLBACK_DELAY_SECONDS,
      hookDetails: { ...details, ...state },
    });

    if (!invocation.state) {
      const started = await deps.ecs.runTask(runTaskInput(details, token));
      const task = started.tasks?.[0];
      if (!task?.taskArn) {
        const failures = (started.failures ?? [])
          .map((f) => [f.reason, f.detail, f.arn].filter(Boolean).join(" "))
          .join("; ");
        return decide(
          "failed",
          { hookStatus: "FAILED" },
          `RunTask started no task: ${failures || "no failures reported either"}`,
        );
      }
      facts.task = task.taskArn;
      const startedAt = task.createdAt instanceof Date ? task.createdAt.getTime() : now();
      return decide(
        "started",
        inProgress({ testTaskArn: task.taskArn, testStartedAt: startedAt }),
        `${details.taskDefinition} on ${details.cluster}: ${TEST_CONTAINER} with BASE_URL=${details.baseUrl}`,
      );
    }

    const { testTaskArn, testStartedAt } = invocation.state;
    facts.task = testTaskArn;
    const described = await deps.ecs.describeTasks({
      cluster: details.cluster,
      tasks: [testTaskArn],
    });
    const task = described.tasks?.find((t) => t.taskArn === testTaskArn);
    if (!task) {
      const failures = (described.failures ?? []).map((f) => f.reason).join("; ");
      return decide(
        "failed",
        { hookStatus: "FAILED" },
        `DescribeTasks does not know the test task: ${failures || "no task, no failure"}`,
      );
    }
    const judged = judgeTask(task, {
      nowMs: now(),
      startedAtMs: testStartedAt,
      timeoutSeconds: details.timeoutSeconds,
    });
    switch (judged.verdict) {
      case "passed":
        return decide("passed", { hookStatus: "SUCCEEDED" }, judged.reason);
      case "failed":
        return decide("failed", { hookStatus: "FAILED" }, judged.reason);
      case "running":
        return decide("running", inProgress({ testTaskArn, testStartedAt }), judged.reason);
      case "timed-out":
        await deps.ecs.stopTask({
          cluster: details.cluster,
          task: testTaskArn,
          reason: `${details.suite} tests timed out after ${details.timeoutSeconds} s`,
        });
        return decide("timed-out", { hookStatus: "FAILED" }, `${judged.reason}: stopped the task`);
    }
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const outcome = error instanceof HookInputError ? "refused" : "error";
    return decide(outcome, { hookStatus: "FAILED" }, message);
  }
}

/** @type {Promise<EcsApi> | undefined} */
let sdkEcs;

/** The real ECS client, made once per Lambda environment; the SDK is imported on first use. */
function realEcs() {
  if (!sdkEcs) {
    sdkEcs = import("@aws-sdk/client-ecs").then((sdk) => {
      const client = new sdk.ECSClient({});
      return {
        runTask: (input) => client.send(new sdk.RunTaskCommand(input)),
        describeTasks: (input) => client.send(new sdk.DescribeTasksCommand(input)),
        stopTask: (input) => client.send(new sdk.StopTaskCommand(input)),
      };
    });
    // A failed import is not kept: the next invocation tries again.
    sdkEcs.catch(() => (sdkEcs = undefined));
  }
  return sdkEcs;
}

/** @type {EcsApi} */
const lazyEcs = {
  runTask: async (input) => (await realEcs()).runTask(input),
  describeTasks: async (input) => (await realEcs()).describeTasks(input),
  stopTask: async (input) => (await realEcs()).stopTask(input),
};

/**
 * The Lambda entry point (HOOK_HANDLER `index.handler`).
 * @param {unknown} event
 * @returns {Promise<HookResponse>}
 */
export async function handler(event) {
  return runHook(event, { ecs: lazyEcs });
}
