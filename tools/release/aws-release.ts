/**
 * What `npm run release` and `npm run promote` print after the one stack-file edit of a release
 * or rollback on an aws stack: the edit, then what to do next (review the plan diff, apply it).
 * Pure: the validated app after the edit in, lines out.
 */
import type { StackApp } from "../../components/config/types";
import { otherSlot } from "../../components/model/slots";

export type AwsReleaseKind = "release" | "rollback";

/** Why --switch and --finish are refused on aws stacks. */
export function ecsDoesItMessage(flag: string, service: string, stack: string): string {
  return (
    `${flag} is gone on aws stacks: ECS's blue/green deployment now switches traffic to the new revision ` +
    "and retires the old revision itself after the bake time (aws.release.bakeMinutes); " +
    `a release is one edit: npm run release -- ${service} <version> --stack ${stack}`
  );
}

/** Printed with every rollback: ECS handles failed deployments without one. */
export const ECS_ROLLS_BACK_ITSELF =
  "ECS already rolls back a failed deployment automatically (a failed pre- or post-integration " +
  "test, the circuit breaker, or an alarm during the bake time); --rollback is for rolling back " +
  "a release that passed its tests";

/** The edit that was made, then the next steps. `app` is the service as the edited file has it. */
export function awsReleaseLines(kind: AwsReleaseKind, stack: string, app: StackApp): string[] {
  const file = `Pulumi.${stack}.yaml`;
  const previous = app.previousVersion!;
  const version = app.version!;
  const slot = app.liveSlot;
  const edit =
    `version "${version}", previousVersion "${previous}", liveSlot ${slot} ` +
    `(the new revision publishes on host port ${app.slotPorts[slot]}, beside ${previous} on ${app.slotPorts[otherSlot(slot)]})`;
  return [
    kind === "release"
      ? `${app.name}: ${previous} → ${version} in ${file}: ${edit}`
      : `${app.name}: rolled back ${previous} → ${version} in ${file}: ${edit}`,
    ...(kind === "rollback" ? [ECS_ROLLS_BACK_ITSELF] : []),
    `next: review the plan diff (npm run plan:diff -- --stack ${stack}); it should show only ` +
      `${app.name}'s task definitions and ECS service changing`,
    `then apply it: pulumi up --stack ${stack} (or merge it for the deploy workflow); ECS tests the ` +
      `new revision on the test listener, moves traffic, runs the post-integration tests and retires ` +
      `${previous} after the bake time, rolling back by itself if anything fails`,
    kind === "release"
      ? `roll back a release that passed its tests with: npm run release -- ${app.name} --rollback --stack ${stack}`
      : `undo this rollback with: npm run release -- ${app.name} --rollback --stack ${stack}`,
  ];
}
