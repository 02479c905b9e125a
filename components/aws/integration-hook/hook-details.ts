// Placeholder with the agreed contract; the hook helper's version replaces it.
export type TestSuite = "pre-integration" | "post-integration";
export interface HookDetails {
  readonly suite: TestSuite;
  readonly baseUrl: string;
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly timeoutSeconds: number;
}
export function renderHookDetails(d: HookDetails): string {
  return JSON.stringify({
    suite: d.suite,
    baseUrl: d.baseUrl,
    cluster: d.cluster,
    taskDefinition: d.taskDefinition,
    timeoutSeconds: d.timeoutSeconds,
  });
}
export const TEST_CONTAINER = "tests";
export const HOOK_RUNTIME = "nodejs22.x";
export const HOOK_HANDLER = "index.handler";
export function hookHandlerCode(): string {
  return "export const handler = async () => ({ hookStatus: 'FAILED' });\n";
}
