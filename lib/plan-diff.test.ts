import { describe, expect, it } from "vitest";
import { renderDiffMarkdown, renderDiffText, lineDiff } from "../tools/review/diff-render";
import { diffPlans, summaryLine, type ChangeKind, type ValueChange } from "./plan-diff";
import type { PlanDocument, PlanResource } from "./plan-files";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const SUBNET = "aws:ec2/subnet:Subnet";
const COMMAND = "command:local:Command";

function res(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  options: Partial<PlanResource> = {},
): PlanResource {
  return {
    type,
    name,
    parent: null,
    provider: null,
    protect: false,
    retainOnDelete: false,
    deleteBeforeReplace: false,
    inputs,
    ...options,
  };
}

const plan = (resources: PlanResource[], outputs: Record<string, unknown> = {}): PlanDocument => ({
  stack: "staging",
  resources,
  outputs,
});

const api = (inputs: Record<string, unknown> = {}): PlanResource =>
  res(CONTAINER, "api", {
    image: "api:1.4.2",
    restart: "unless-stopped",
    ports: [{ internal: 5000, external: 5060 }],
    ...inputs,
  });

describe("diffPlans", () => {
  it.each<{
    name: string;
    before: PlanResource[];
    after: PlanResource[];
    kind: ChangeKind | "none";
    changes?: ValueChange[];
    replacedBecause?: string[];
  }>([
    { name: "an identical resource is no change", before: [api()], after: [api()], kind: "none" },
    {
      name: "a new resource is a create",
      before: [],
      after: [api()],
      kind: "create",
      changes: [],
    },
    {
      name: "a resource gone from the plan is a delete",
      before: [api()],
      after: [],
      kind: "delete",
      changes: [],
    },
    {
      name: "a container's restart policy is updated in place",
      before: [api()],
      after: [api({ restart: "always" })],
      kind: "update",
      changes: [{ path: "inputs.restart", before: "unless-stopped", after: "always" }],
      replacedBecause: [],
    },
    {
      name: "a container's published port replaces it, naming the nested path",
      before: [api()],
      after: [api({ ports: [{ internal: 5000, external: 5061 }] })],
      kind: "replace",
      changes: [{ path: "inputs.ports[0].external", before: 5060, after: 5061 }],
      replacedBecause: ["inputs.ports[0].external"],
    },
    {
      name: "a container's new image replaces it",
      before: [api()],
      after: [api({ image: "api:1.5.0" })],
      kind: "replace",
      changes: [{ path: "inputs.image", before: "api:1.4.2", after: "api:1.5.0" }],
      replacedBecause: ["inputs.image"],
    },
    {
      name: "an input the table does not know replaces a container (conservative)",
      before: [api()],
      after: [api({ hostname: "api-1" })],
      kind: "replace",
      changes: [{ path: "inputs.hostname", before: undefined, after: "api-1" }],
      replacedBecause: ["inputs.hostname"],
    },
    {
      name: "a log option key that is not an identifier is quoted in the path",
      before: [api({ logOpts: { "max-size": "10m" } })],
      after: [api({ logOpts: { "max-size": "20m" } })],
      kind: "replace",
      changes: [{ path: 'inputs.logOpts["max-size"]', before: "10m", after: "20m" }],
      replacedBecause: ['inputs.logOpts["max-size"]'],
    },
    {
      name: "a subnet's CIDR replaces it",
      before: [res(SUBNET, "public-a", { cidrBlock: "10.20.0.0/20", tags: { Name: "a" } })],
      after: [res(SUBNET, "public-a", { cidrBlock: "10.20.16.0/20", tags: { Name: "a" } })],
      kind: "replace",
      changes: [{ path: "inputs.cidrBlock", before: "10.20.0.0/20", after: "10.20.16.0/20" }],
      replacedBecause: ["inputs.cidrBlock"],
    },
    {
      name: "a subnet's tags are updated in place",
      before: [res(SUBNET, "public-a", { cidrBlock: "10.20.0.0/20", tags: { Name: "a" } })],
      after: [res(SUBNET, "public-a", { cidrBlock: "10.20.0.0/20", tags: { Name: "b" } })],
      kind: "update",
      changes: [{ path: "inputs.tags.Name", before: "a", after: "b" }],
      replacedBecause: [],
    },
    {
      name: "a command's triggers replace it",
      before: [res(COMMAND, "prep", { create: "x", triggers: ["1"] })],
      after: [res(COMMAND, "prep", { create: "x", triggers: ["2"] })],
      kind: "replace",
      changes: [{ path: "inputs.triggers[0]", before: "1", after: "2" }],
      replacedBecause: ["inputs.triggers[0]"],
    },
    {
      name: "a command's script is re-run in place",
      before: [res(COMMAND, "prep", { create: "x" })],
      after: [res(COMMAND, "prep", { create: "y" })],
      kind: "update",
      changes: [{ path: "inputs.create", before: "x", after: "y" }],
      replacedBecause: [],
    },
    {
      name: "protecting a resource is an update of its options",
      before: [res(VOLUME, "data", { name: "data" })],
      after: [res(VOLUME, "data", { name: "data" }, { protect: true })],
      kind: "update",
      changes: [{ path: "protect", before: false, after: true }],
      replacedBecause: [],
    },
    {
      name: "a new parent is a replacement (new URN)",
      before: [res(VOLUME, "data", { name: "data" })],
      after: [res(VOLUME, "data", { name: "data" }, { parent: "ciplatform:x:Y::y" })],
      kind: "replace",
      changes: [{ path: "parent", before: null, after: "ciplatform:x:Y::y" }],
      replacedBecause: ["parent"],
    },
    {
      name: "a changed secret shows nothing of either value",
      before: [api({ envs: ["A=1", "B=plain"] })],
      after: [api({ envs: ["A=1", "[secret]"] })],
      kind: "replace",
      changes: [{ path: "inputs.envs[1]", before: "[secret]", after: "[secret]" }],
      replacedBecause: ["inputs.envs[1]"],
    },
    {
      name: "a value that became secret as a whole is masked on both sides",
      before: [api({ envs: ["PASSWORD=hunter2"] })],
      after: [api({ envs: "[secret]" })],
      kind: "replace",
      changes: [{ path: "inputs.envs", before: "[secret]", after: "[secret]" }],
      replacedBecause: ["inputs.envs"],
    },
    {
      name: "a secret whose value changed is invisible in masked plans",
      before: [api({ envs: "[secret]" })],
      after: [api({ envs: "[secret]" })],
      kind: "none",
    },
    {
      name: "a list that grew shows the new element as added",
      before: [res(VOLUME, "v", { labels: [{ label: "a", value: "1" }] })],
      after: [
        res(VOLUME, "v", {
          labels: [
            { label: "a", value: "1" },
            { label: "b", value: "2" },
          ],
        }),
      ],
      kind: "replace",
      changes: [{ path: "inputs.labels[1]", before: undefined, after: { label: "b", value: "2" } }],
      replacedBecause: ["inputs.labels[1]"],
    },
  ])("$name", ({ before, after, kind, changes, replacedBecause }) => {
    const diff = diffPlans(plan(before), plan(after));
    if (kind === "none") {
      expect(diff.resources).toEqual([]);
      expect(diff.summary.same).toBe(before.length);
      return;
    }
    expect(diff.resources).toHaveLength(1);
    const [change] = diff.resources;
    expect(change!.kind).toBe(kind);
    expect(change!.changes).toEqual(changes);
    if (replacedBecause) expect(change!.replacedBecause).toEqual(replacedBecause);
  });

  it("keys resources by type and name: the same name of another type is another resource", () => {
    const diff = diffPlans(
      plan([res(VOLUME, "data", { name: "data" })]),
      plan([res(CONTAINER, "data", { name: "data" })]),
    );
    expect(diff.resources.map((r) => `${r.kind} ${r.type}`)).toEqual([
      `create ${CONTAINER}`,
      `delete ${VOLUME}`,
    ]);
  });

  it("counts every kind in the summary line", () => {
    const before = plan([
      api(),
      res(VOLUME, "old", { name: "old" }),
      res(SUBNET, "s", { cidrBlock: "10.0.0.0/24", tags: { Name: "s" } }),
      res(SUBNET, "t", { cidrBlock: "10.0.1.0/24" }),
    ]);
    const after = plan([
      api({ image: "api:2" }),
      res(SUBNET, "s", { cidrBlock: "10.0.0.0/24", tags: { Name: "t" } }),
      res(SUBNET, "t", { cidrBlock: "10.0.1.0/24" }),
      res(VOLUME, "new1", { name: "new1" }),
      res(VOLUME, "new2", { name: "new2" }),
    ]);
    const diff = diffPlans(before, after);
    expect(summaryLine(diff.summary)).toBe("+2 ~1 ±1 -1");
    expect(diff.summary.same).toBe(1);
  });

  it("reports changed stack outputs", () => {
    const diff = diffPlans(plan([], { vpcId: "a", n: 1 }), plan([], { vpcId: "b", n: 1 }));
    expect(diff.outputs).toEqual([{ path: "outputs.vpcId", before: "a", after: "b" }]);
  });

  it("fails when a plan declares one type and name twice", () => {
    expect(() => diffPlans(plan([api(), api()]), plan([]))).toThrow(
      `the old plan of staging declares ${CONTAINER} api twice; resources are keyed by type and name`,
    );
  });
});

describe("rendering", () => {
  const before = plan([api(), res(VOLUME, "data", { name: "d" }, { protect: true })]);
  const after = plan([
    api({ image: "api:1.5.0", envs: "[secret]" }),
    res(CONTAINER, "worker", { image: "worker:1", uploads: [{ content: "a\nb\nc" }] }),
  ]);
  const diff = diffPlans(before, after);

  it("names each resource and its changed inputs in the text form", () => {
    expect(renderDiffText(diff)).toBe(
      [
        "Plan diff of stack staging: +1 ~0 ±1 -1",
        "",
        "Create (1):",
        `  + ${CONTAINER} worker`,
        "",
        "Replace (1):",
        `  ± ${CONTAINER} api  [replaced because inputs.envs, inputs.image changed]`,
        "      inputs.envs: (none) → [secret]",
        '      inputs.image: "api:1.4.2" → "api:1.5.0"',
        "",
        "Delete (1):",
        `  - ${VOLUME} data  [protected: pulumi up refuses to delete it]`,
        "",
      ].join("\n"),
    );
  });

  it("puts the summary line first in markdown, one collapsible per resource", () => {
    const md = renderDiffMarkdown(diff);
    expect(md.split("\n")[0]).toBe("**Offline plan diff of `staging`: `+1 ~0 ±1 -1`**");
    expect(md).toContain(
      `<summary>± <code>${CONTAINER}</code> <b>api</b> — replaced because inputs.envs, inputs.image changed</summary>`,
    );
    expect(md).toContain('inputs.uploads[0].content: "a"… (3 lines)');
    expect(md).toContain(
      `- - <code>${VOLUME}</code> <b>data</b> — protected: pulumi up refuses to delete it`,
    );
    expect(md.match(/<details>/g)).toHaveLength(2);
    expect(md.match(/<\/details>/g)).toHaveLength(2);
  });

  it("says so when nothing changes", () => {
    const none = diffPlans(before, before);
    expect(renderDiffText(none)).toBe("Plan diff of stack staging: +0 ~0 ±0 -0\n\nNo changes.\n");
    expect(renderDiffMarkdown(none)).toBe(
      "**Offline plan diff of `staging`: `+0 ~0 ±0 -0`**\n\nNo changes.\n",
    );
  });

  it("drops created resources' inputs before anything else past the size limit", () => {
    const big = plan([
      res(VOLUME, "gone", { name: "gone" }),
      ...Array.from({ length: 10 }, (_, i) => res(VOLUME, `v${i}`, { name: "x".repeat(150) })),
    ]);
    const md = renderDiffMarkdown(diffPlans(plan([res(VOLUME, "gone", { name: "g" })]), big), 2000);
    expect(md.match(/<details>/g)).toHaveLength(1);
    expect(md).toContain(`- + <code>${VOLUME}</code> <b>v9</b>`);
    expect(md).toContain(`<summary>± <code>${VOLUME}</code> <b>gone</b>`);
  });

  it("counts created resources by type when even one line each is too long", () => {
    const many = plan(
      Array.from({ length: 60 }, (_, i) => res(VOLUME, `v${i}`.padEnd(60, "x"), { name: "x" })),
    );
    const md = renderDiffMarkdown(diffPlans(plan([res(SUBNET, "gone", {})]), many), 2000);
    expect(md).toBe(
      [
        "**Offline plan diff of `staging`: `+60 ~0 ±0 -1`**",
        "",
        "#### + Create (60)",
        "",
        `- 60 × <code>${VOLUME}</code>`,
        "",
        "#### - Delete (1)",
        "",
        `- - <code>${SUBNET}</code> <b>gone</b>`,
        "",
      ].join("\n"),
    );
  });

  it("leaves out whole resources past the size limit and keeps the summary", () => {
    const names = Array.from({ length: 50 }, (_, i) => `v${i}`);
    const md = renderDiffMarkdown(
      diffPlans(
        plan(names.map((n) => res(VOLUME, n, { name: "a" }))),
        plan(names.map((n) => res(VOLUME, n, { name: "b" }))),
      ),
      2000,
    );
    expect(md.length).toBeLessThan(2000);
    expect(md.split("\n")[0]).toBe("**Offline plan diff of `staging`: `+0 ~0 ±50 -0`**");
    expect(md).toMatch(/_\d+ more blocks left out to stay under 2000 characters;/);
    expect(md.match(/<details>/g)?.length).toBe(md.match(/<\/details>/g)?.length);
  });

  it("shows a changed multi-line text as removed and added lines", () => {
    expect(lineDiff("a\nb\nc", "a\nB\nc\nd")).toEqual(["- b", "+ B", "+ d"]);
    const text = renderDiffText(
      diffPlans(
        plan([res(COMMAND, "c", { create: "set -e\necho 1\n" })]),
        plan([res(COMMAND, "c", { create: "set -e\necho 2\n" })]),
      ),
    );
    expect(text).toContain(
      ["      inputs.create: text changed", "          - echo 1", "          + echo 2"].join("\n"),
    );
  });
});

describe("diffPlans and ignoreChanges", () => {
  const RULE = "aws:lb/listenerRule:ListenerRule";
  const rule = (weight: number, extra: Record<string, unknown> = {}): PlanResource =>
    res(
      RULE,
      "prod-api-production-rule",
      {
        priority: 1,
        actions: [{ forward: { targetGroups: [{ arn: "blue", weight }] } }],
        ...extra,
      },
      { ignoreChanges: ["actions"] },
    );

  it("shows no change of an input the resource ignores: an up keeps its old value", () => {
    expect(diffPlans(plan([rule(100)]), plan([rule(0)])).resources).toEqual([]);
  });

  it("still shows the inputs it does not ignore", () => {
    const diff = diffPlans(plan([rule(100)]), plan([rule(0, { priority: 2 })]));
    expect(diff.resources.map((r) => [r.kind, r.changes])).toEqual([
      ["update", [{ path: "inputs.priority", before: 1, after: 2 }]],
    ]);
  });

  it("shows a change of the ignored list itself", () => {
    const before = res(RULE, "prod-api-production-rule", { priority: 1 });
    const diff = diffPlans(plan([before]), plan([{ ...before, ignoreChanges: ["actions"] }]));
    expect(diff.resources.map((r) => r.changes)).toEqual([
      [{ path: "ignoreChanges", before: null, after: ["actions"] }],
    ]);
  });
});
