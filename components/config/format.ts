import type { ConfigIssue } from "./types";

/** One message listing every issue, for the person who edits the stack file (`Pulumi.<stack>.yaml`). */
export function formatConfigIssues(
  project: string,
  stack: string,
  issues: readonly ConfigIssue[],
  file = `Pulumi.${stack}.yaml`,
): string {
  const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
  return [
    `Stack config of "${stack}" is invalid (${count}); fix ${file}, keys under ${project}:`,
    ...issues.map((issue) => `  - ${issue.message}`),
  ].join("\n");
}
