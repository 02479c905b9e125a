import { describe, expect, it } from "vitest";
import { parseAddUserArgs, registryUsersHint } from "./add-user";

describe("registry:add-user", () => {
  it("takes the user and its role", () => {
    expect(parseAddUserArgs(["prune", "delete"])).toEqual({ user: "prune", role: "delete" });
  });

  it("fails without a role, naming the roles", () => {
    expect(() => parseAddUserArgs(["jenkins"])).toThrow(
      "usage: npm run --silent registry:add-user -- <user> <pull|push|delete> (password in REGISTRY_PASSWORD)",
    );
  });

  it("fails on a role that does not exist", () => {
    expect(() => parseAddUserArgs(["jenkins", "admin"])).toThrow(
      '"admin" is not a registry role; use one of pull, push, delete',
    );
  });

  it("prints the registry.users entry to add", () => {
    expect(registryUsersHint("deploy", "pull")).toBe(
      "registry:add-user: deploy is in the new htpasswd; give it its role in the stack's registry block (Pulumi.<stack>.yaml), or nginx answers it 403:\n" +
        "  ci-platform:registry:\n    users:\n      deploy: pull\n",
    );
  });
});
