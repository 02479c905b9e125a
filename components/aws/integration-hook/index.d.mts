/**
 * Types of index.mjs (the Lambda's code, plain JavaScript with JSDoc) for the TypeScript that
 * tests it. index.test.ts checks that this file and the module export the same names.
 */
import type { HookDetails, TestSuite } from "./hook-details";

export declare const TEST_CONTAINER: "tests";
export declare const CALLBACK_DELAY_SECONDS: number;
export declare const SUITE_STAGES: Readonly<Record<TestSuite, string>>;

/** What the hook keeps between invocations, in the hookDetails it returns with IN_PROGRESS. */
export interface HookState {
  readonly testTaskArn: string;
  readonly testStartedAt: number;
}

export type HookResponse =
  | { readonly hookStatus: "SUCCEEDED" | "FAILED" }
  | {
      readonly hookStatus: "IN_PROGRESS";
      readonly callBackDelay: number;
      readonly hookDetails: HookDetails & HookState;
    };

export interface EcsContainer {
  name?: string;
  lastStatus?: string;
  exitCode?: number;
  reason?: string;
}
export interface EcsTask {
  taskArn?: string;
  lastStatus?: string;
  desiredStatus?: string;
  createdAt?: Date;
  stopCode?: string;
  stoppedReason?: string;
  containers?: EcsContainer[];
}
export interface EcsFailure {
  arn?: string;
  reason?: string;
  detail?: string;
}

/** The subset of the ECS API the hook calls, shaped as the SDK's commands take and return them. */
export interface EcsApi {
  runTask(input: RunTaskInput): Promise<{ tasks?: EcsTask[]; failures?: EcsFailure[] }>;
  describeTasks(input: {
    cluster: string;
    tasks: string[];
  }): Promise<{ tasks?: EcsTask[]; failures?: EcsFailure[] }>;
  stopTask(input: { cluster: string; task: string; reason: string }): Promise<{ task?: EcsTask }>;
}

export interface HookDeps {
  readonly ecs: EcsApi;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export interface RunTaskInput {
  cluster: string;
  taskDefinition: string;
  count: number;
  startedBy: string;
  clientToken: string;
  overrides: {
    containerOverrides: {
      name: string;
      environment: { name: string; value: string }[];
    }[];
  };
}

export declare function readInvocation(event: unknown): {
  stage: string;
  deployment: string;
  service: string;
  details: HookDetails;
  state: HookState | undefined;
};
export declare function startedByToken(deployment: string, suite: TestSuite): string;
export declare function runTaskInput(details: HookDetails, token: string): RunTaskInput;
export declare function judgeTask(
  task: EcsTask,
  clock: { nowMs: number; startedAtMs: number; timeoutSeconds: number },
): { verdict: "passed" | "failed" | "running" | "timed-out"; reason: string };
export declare function runHook(event: unknown, deps: HookDeps): Promise<HookResponse>;
export declare function handler(event: unknown): Promise<HookResponse>;
