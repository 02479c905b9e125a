/**
 * The stack-file edits of blue-green releases, pure (text in, text out; comments kept):
 *   CI hosts: record which slot is live after a release or rollback;
 *   aws: stage a version in the idle slot, switch slots, retire the old slot.
 * On aws the live slot runs `version` and the idle slot `idleVersion`, so a switch swaps the two
 * along with `liveSlot`: every slot keeps its image and only the load balancers' listeners move.
 */
import { isSlot, otherSlot, type Slot } from "../../components/release/slots";
import { appSetting, setAppSettings } from "../stack-yaml";

function liveSlotOf(yamlText: string, service: string): Slot {
  const value = appSetting(yamlText, service, "liveSlot") ?? "blue";
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

/** aws: `version` goes into the idle slot (`idleVersion`), which `pulumi up` then deploys. */
export function stageRelease(yamlText: string, service: string, version: string): string {
  const live = appSetting(yamlText, service, "version");
  const idle = appSetting(yamlText, service, "idleVersion");
  if (live === version)
    throw new Error(
      `${service} ${version} is already live in the ${liveSlotOf(yamlText, service)} slot`,
    );
  if (idle !== undefined && idle !== version)
    throw new Error(
      `the idle ${otherSlot(liveSlotOf(yamlText, service))} slot of ${service} holds ${idle} ` +
        `(a release in progress, or the rollback target): finish it first with --finish`,
    );
  return setAppSettings(yamlText, service, { idleVersion: { value: version, quoted: true } });
}

/** aws: the idle slot becomes live; the live one becomes idle, kept for a rollback. */
export function switchSlots(yamlText: string, service: string): string {
  const live = liveSlotOf(yamlText, service);
  const version = appSetting(yamlText, service, "version");
  const idle = appSetting(yamlText, service, "idleVersion");
  if (idle === undefined)
    throw new Error(
      `the idle ${otherSlot(live)} slot of ${service} is empty: stage a release first (npm run release -- ${service} <version> --stack <stack>)`,
    );
  return setAppSettings(yamlText, service, {
    liveSlot: { value: otherSlot(live) },
    version: { value: idle, quoted: true },
    idleVersion: { value: version, quoted: true },
  });
}

/** aws: the idle slot (the old release, after its grace period) is removed. */
export function finishRelease(yamlText: string, service: string): string {
  if (appSetting(yamlText, service, "idleVersion") === undefined)
    throw new Error(`the idle slot of ${service} is already empty`);
  return setAppSettings(yamlText, service, { idleVersion: { value: undefined } });
}
