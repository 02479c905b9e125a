/**
 * The contract between the Pulumi program and the integration-hook Lambda (`index.mjs` beside this
 * file): what each ECS service's lifecycle hook passes to the function as `hookDetails`, and the
 * function's code, runtime and handler. Pure: no Pulumi import.
 *
 * ECS passes a hook's configured `hookDetails` (a JSON object, given to the service as a string) to
 * the function on every invocation:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Which suite a hook runs: the image's `ci-test live` gets it as TEST_SUITE. */
export type TestSuite = "pre-integration" | "post-integration";

/** One lifecycle hook's configuration, as the Lambda reads it from the event's `hookDetails`. */
export interface HookDetails {
  /** pre-integration at POST_TEST_TRAFFIC_SHIFT, post-integration at POST_PRODUCTION_TRAFFIC_SHIFT. */
  readonly suite: TestSuite;
  /** What the tests reach the service at: the test listener, or the service's DNS alias on port 80. */
  readonly baseUrl: string;
  /** Short name or ARN of the cluster the test task runs on. */
  readonly cluster: string;
  /** Family, family:revision or ARN of the tests task definition (container {@link TEST_CONTAINER}). */
  readonly taskDefinition: string;
  /** How long the test task may run before the hook stops it and fails the deployment. */
  readonly timeoutSeconds: number;
}

/** The container of the tests task definition that runs `ci-test live`. */
export const TEST_CONTAINER = "tests";
/** The Lambda runtime: Node.js 22, which bundles the AWS SDK for JavaScript v3 the handler imports. */
export const HOOK_RUNTIME = "nodejs22.x";
/** `index.mjs`'s exported `handler`. */
export const HOOK_HANDLER = "index.handler";

/**
 * The ECS actions the handler calls, for its role's policy: RunTask on the tests task definition,
 * DescribeTasks and StopTask on the tasks it started. RunTask also needs iam:PassRole on the task
 * definition's execution role.
 */
export const HOOK_ECS_ACTIONS = ["ecs:DescribeTasks", "ecs:RunTask", "ecs:StopTask"] as const;

/** The lifecycle stage each suite runs at (the handler refuses an invocation at any other). */
export const SUITE_STAGES: Readonly<Record<TestSuite, string>> = {
  "pre-integration": "POST_TEST_TRAFFIC_SHIFT",
  "post-integration": "POST_PRODUCTION_TRAFFIC_SHIFT",
};

const SUITES: readonly TestSuite[] = ["pre-integration", "post-integration"];

/**
 * `hookDetails` for one lifecycle hook: JSON with a fixed key order, so the same details give the
 * same bytes and a preview shows no false diff. Fails, naming the field, on details the Lambda
 * would refuse at deployment time.
 */
export function renderHookDetails(details: HookDetails): string {
  const problems: string[] = [];
  if (!SUITES.includes(details.suite))
    problems.push(`suite ${JSON.stringify(details.suite)} is not one of ${SUITES.join(", ")}`);
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(details.baseUrl))
    problems.push(`baseUrl ${JSON.stringify(details.baseUrl)} is not an http(s) URL`);
  for (const field of ["cluster", "taskDefinition"] as const)
    if (details[field].trim() === "") problems.push(`${field} is empty`);
  if (!Number.isInteger(details.timeoutSeconds) || details.timeoutSeconds < 1)
    problems.push(`timeoutSeconds ${details.timeoutSeconds} is not a whole number of seconds >= 1`);
  if (problems.length > 0) throw new Error(`hook details: ${problems.join("; ")}`);
  return JSON.stringify({
    suite: details.suite,
    baseUrl: details.baseUrl,
    cluster: details.cluster,
    taskDefinition: details.taskDefinition,
    timeoutSeconds: details.timeoutSeconds,
  });
}

/** The Lambda's `index.mjs`, as the function's code (it imports nothing but Node built-ins and the SDK). */
export function hookHandlerCode(): string {
  return readFileSync(join(__dirname, "index.mjs"), "utf8");
}
