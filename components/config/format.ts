import type { ConfigIssue } from "./types";

/** One message listing every issue, for the person who edits `Pulumi.<stack>.yaml`. */
export function formatConfigIssues(
  project: string,
  stack: string,
  issues: readonly ConfigIssue[],
): string {
  const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
  return [
    `Stack config of "${stack}" is invalid (${count}); fix Pulumi.${stack}.yaml, keys under ${project}:`,
    ...issues.map((issue) => `  - ${issue.message}`),
  ].join("\n");
}
