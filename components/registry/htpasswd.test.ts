import { describe, expect, it } from "vitest";
import { parseHtpasswd, renderHtpasswd, upsertHtpasswd } from "./htpasswd";

const HASH_A = "$2b$12$iFnb9CksSF6g27VvGF65rO82Y1XNa1BmlYEXzC8HTNzGxK5bDhvVW";
const HASH_B = "$2y$05$abcdefghijklmnopqrstuuVmkSMxxPRA9dbn5eLF0VCGoNmiaxObe";

describe("htpasswd", () => {
  it("adds a user in sorted order and replaces an existing one", () => {
    const entries = parseHtpasswd(`zed:${HASH_B}\n`);
    const added = upsertHtpasswd(entries, { user: "jenkins", hash: HASH_A });
    expect(renderHtpasswd(added)).toBe(`jenkins:${HASH_A}\nzed:${HASH_B}\n`);
    expect(renderHtpasswd(upsertHtpasswd(added, { user: "zed", hash: HASH_A }))).toBe(
      `jenkins:${HASH_A}\nzed:${HASH_A}\n`,
    );
  });

  it("fails on an entry that is not bcrypt, naming the line", () => {
    expect(() => parseHtpasswd(`a:${HASH_A}\nb:$apr1$xyz$abc\n`)).toThrow(
      "htpasswd line 2 (b): not a bcrypt hash; re-add the user with npm run registry:add-user",
    );
  });

  it("fails on a user name htpasswd or nginx would misread", () => {
    expect(() => upsertHtpasswd([], { user: "ci:admin", hash: HASH_A })).toThrow(
      '"ci:admin" is not a valid user name',
    );
  });
});
