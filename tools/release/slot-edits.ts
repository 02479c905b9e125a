/**
 * The stack-file edits of releases, pure (text in, text out; comments and key order kept).
 *
 * CI hosts: release.sh switches the host's proxy itself; `recordLiveSlot` records the slot it left
 * live.
 *
 * aws (production on ECS): a release, a promotion and a rollback are each ONE edit, which
 * `pulumi up` applies as an ECS blue/green deployment (test listener, pre- and post-integration
 * tests, bake time, automatic rollback):
 *   version:         the revision to run
 *   previousVersion: the revision it replaces, the target of `npm run release -- --rollback`
 *   liveSlot:        the other slot: the new revision publishes on that slot's host port, so ECS
 *                    can run the old and the new revision side by side on every instance
 */
import { isSlot, otherSlot, type Slot } from "../../components/model/slots";
import { appSetting, DEFAULT_PROJECT, requireSelected, setAppSettings } from "../../lib/stack-yaml";

function liveSlotOf(yamlText: string, service: string, project: string): Slot {
  const value = appSetting(yamlText, service, "liveSlot", project) ?? "blue";
  if (!isSlot(value))
    throw new Error(
      `services.apps.${service}.liveSlot is ${JSON.stringify(value)}; set blue or green`,
    );
  return value;
}

/** CI hosts: `liveSlot` as the host's proxy now has it. */
export function recordLiveSlot(yamlText: string, service: string, slot: Slot): string {
  return setAppSettings(yamlText, service, { liveSlot: { value: slot } });
}

/**
 * aws: releases `version` of `service`: `version` becomes `version`, `previousVersion` the version
 * that ran until now, and `liveSlot` flips. Fails when the stack file sets no version (there is
 * nothing to keep as the rollback target) and when `version` is the one already live.
 */
export function releaseEdit(
  yamlText: string,
  service: string,
  version: string,
  project = DEFAULT_PROJECT,
): string {
  requireSelected(yamlText, service, project);
  const live = liveSlotOf(yamlText, service, project);
  const current = appSetting(yamlText, service, "version", project);
  if (current === undefined)
    throw new Error(
      `services.apps.${service}.version is not set, so there is no live version to keep as previousVersion; ` +
        `set it to the version that runs now, then release`,
    );
  if (current === version)
    throw new Error(
      `${service} ${version} is already live (on the ${live} slot's port); nothing to release`,
    );
  return setAppSettings(
    yamlText,
    service,
    {
      version: { value: version, quoted: true },
      previousVersion: { value: current, quoted: true },
      liveSlot: { value: otherSlot(live) },
    },
    project,
  );
}

/**
 * aws: rolls `service` back to `previousVersion`: the release edit with the two versions swapped,
 * so the slot alternates as for any release and rolling back twice returns to the release.
 */
export function rollbackEdit(yamlText: string, service: string, project = DEFAULT_PROJECT): string {
  requireSelected(yamlText, service, project);
  const previous = appSetting(yamlText, service, "previousVersion", project);
  if (previous === undefined)
    throw new Error(
      `services.apps.${service}.previousVersion is not set, so there is no earlier release to roll back to; ` +
        `to run an older version, release it: npm run release -- ${service} <version> --stack <stack>`,
    );
  return releaseEdit(yamlText, service, previous, project);
}
