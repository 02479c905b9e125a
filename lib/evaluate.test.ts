import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { evaluateProgram, maskSecrets, SECRET_MASK } from "./evaluate";

describe("maskSecrets", () => {
  it("replaces secret-wrapped values at any depth and sorts keys", () => {
    const wrapped = {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "hunter2",
    };
    expect(maskSecrets({ b: [wrapped], a: { c: wrapped, d: 1 } })).toEqual({
      a: { c: SECRET_MASK, d: 1 },
      b: [SECRET_MASK],
    });
    expect(JSON.stringify(maskSecrets({ b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });
});

describe("evaluateProgram", () => {
  it("records options and masks a secret that flows into a resource's inputs", async () => {
    const evaluation = await evaluateProgram(
      {
        project: "p",
        config: { "p:password": "hunter2" },
        secretKeys: ["p:password"],
        placeholderSecrets: [],
      },
      "dev",
      () => {
        const password = new pulumi.Config("p").requireSecret("password");
        const provider = new docker.Provider("engine", { host: "unix:///run/docker.sock" });
        new docker.Volume(
          "data",
          { name: "data" },
          { provider, protect: true, retainOnDelete: true },
        );
        new docker.Container(
          "app",
          { image: "busybox", envs: [pulumi.interpolate`PASSWORD=${password}`] },
          { provider },
        );
        return Promise.resolve({ password });
      },
    );
    const volume = evaluation.resources.find((r) => r.name === "data");
    expect(volume).toMatchObject({ protect: true, retainOnDelete: true, provider: "engine" });
    const app = evaluation.resources.find((r) => r.name === "app");
    expect(app?.inputs["envs"]).toBe(SECRET_MASK);
    expect(evaluation.outputs["password"]).toBe(SECRET_MASK);
    expect(JSON.stringify(evaluation)).not.toContain("hunter2");
  });
});
