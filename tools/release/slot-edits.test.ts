import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appSetting } from "../stack-yaml";
import { finishRelease, recordLiveSlot, stageRelease, switchSlots } from "./slot-edits";

const ROOT = join(__dirname, "..", "..");
const production = readFileSync(join(ROOT, "Pulumi.production.yaml"), "utf8");
const testing = readFileSync(join(ROOT, "Pulumi.testing.yaml"), "utf8");

const settings = (text: string, service = "api") => ({
  version: appSetting(text, service, "version"),
  idleVersion: appSetting(text, service, "idleVersion"),
  liveSlot: appSetting(text, service, "liveSlot"),
});

describe("aws release edits of Pulumi.production.yaml", () => {
  const staged = stageRelease(production, "api", "1.5.0");
  const switched = switchSlots(staged, "api");
  const rolledBack = switchSlots(switched, "api");
  const finished = finishRelease(switched, "api");

  it("stages a version in the idle slot, changing nothing else", () => {
    expect(settings(staged)).toEqual({
      version: "1.4.2",
      idleVersion: "1.5.0",
      liveSlot: undefined,
    });
    expect(staged.replace('        idleVersion: "1.5.0"\n', "")).toBe(production);
  });

  it("switches: the idle slot becomes live and the old version stays idle", () => {
    expect(settings(switched)).toEqual({
      version: "1.5.0",
      idleVersion: "1.4.2",
      liveSlot: "green",
    });
    expect(settings(rolledBack)).toEqual({
      version: "1.4.2",
      idleVersion: "1.5.0",
      liveSlot: "blue",
    });
  });

  it("finishes by removing the idle slot; other services and comments are untouched", () => {
    expect(settings(finished)).toEqual({
      version: "1.5.0",
      idleVersion: undefined,
      liveSlot: "green",
    });
    expect(settings(finished, "cart")).toEqual(settings(production, "cart"));
    const comments = (text: string) => text.split("\n").filter((l) => l.trim().startsWith("#"));
    expect(comments(finished)).toEqual(comments(production));
  });

  it("fails when the version is already live", () => {
    expect(() => stageRelease(production, "api", "1.4.2")).toThrow(
      "api 1.4.2 is already live in the blue slot",
    );
  });

  it("fails when the idle slot already holds another version", () => {
    expect(() => stageRelease(switched, "api", "1.6.0")).toThrow(
      "the idle blue slot of api holds 1.4.2 (a release in progress, or the rollback target): finish it first with --finish",
    );
  });

  it("fails to switch to an empty idle slot, or to finish twice", () => {
    expect(() => switchSlots(production, "api")).toThrow("the idle green slot of api is empty");
    expect(() => finishRelease(finished, "api")).toThrow("the idle slot of api is already empty");
  });
});

describe("CI host edits of Pulumi.testing.yaml", () => {
  it("records the live slot, turning `api: {}` into a block map", () => {
    const recorded = recordLiveSlot(testing, "api", "green");
    expect(recorded).toContain("      api:\n        liveSlot: green\n      auth: {}");
    expect(recordLiveSlot(recorded, "api", "blue")).toContain(
      "      api:\n        liveSlot: blue\n",
    );
  });

  it("fails for a service the stack does not select", () => {
    const narrowed = testing.replace("      api: {}\n", "");
    expect(() => recordLiveSlot(narrowed, "api", "green")).toThrow(
      "api is not selected in this stack",
    );
  });
});
