import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { argvCommandLine, commandLine, shellQuote, shellWord } from "./shell";

const scratch = mkdtempSync(join(tmpdir(), "shell-quoting-"));
const marker = join(scratch, "pwned");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `command` as a host's shell would (`sh -c`, in the scratch dir); its stdout and status. */
function sh(command: string): { stdout: string; status: number | null; stderr: string } {
  const r = spawnSync("sh", ["-c", command], { cwd: scratch, encoding: "utf8", timeout: 10_000 });
  return { stdout: r.stdout, status: r.status, stderr: r.stderr };
}

/** Values a host's shell would act on if they were not quoted; each payload creates `pwned`. */
const HOSTILE_VALUES: readonly (readonly [string, string])[] = [
  ["a semicolon", "x;touch pwned"],
  ["a command substitution", "$(touch pwned)"],
  ["backticks", "`touch pwned`"],
  ["a single quote", "it's; touch pwned; '"],
  ["double quotes", '"; touch pwned; "'],
  ["spaces", " a  b "],
  ["a newline", "x\ntouch pwned"],
  ["a pipe and an ampersand", "x | touch pwned & touch pwned"],
  ["a variable and a glob", "$HOME * ?"],
  ["a backslash at the end", "x\\"],
  ["a leading dash", "-rf"],
  ["an assignment", "A=touch"],
  ["a tilde", "~root"],
  ["nothing", ""],
];

describe("shell quoting, read back by a real sh", () => {
  it.each(HOSTILE_VALUES)("shellQuote keeps a value with %s one literal word", (_, value) => {
    const r = sh(`printf '%s\\0' ${shellQuote(value)}`);
    expect(existsSync(marker), "a payload ran").toBe(false);
    expect(r.stdout).toBe(`${value}\0`);
  });

  it.each(HOSTILE_VALUES)("shellWord keeps a value with %s one literal word", (_, value) => {
    const r = sh(`printf '%s\\0' ${shellWord(value)}`);
    expect(existsSync(marker), "a payload ran").toBe(false);
    expect(r.stdout).toBe(`${value}\0`);
  });

  it("leaves plain words bare and quotes the rest", () => {
    expect(
      ["testing-release-proxy", "/var/lib/jenkins", "a b", "A=b", "", "x'y"].map(shellWord),
    ).toEqual(["testing-release-proxy", "/var/lib/jenkins", "'a b'", "'A=b'", "''", `'x'\\''y'`]);
  });

  it("reads any string back exactly, whichever quoting", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "binary" }).map((s) => s.replace(/\0/g, ""))),
        (values) => {
          const words = values.flatMap((v) => [shellQuote(v), shellWord(v)]);
          const r = sh(`printf '%s\\0' ${words.join(" ")} ''`);
          return (
            r.stdout === `${values.flatMap((v) => [v, v]).join("\0")}${values.length ? "\0" : ""}\0`
          );
        },
      ),
      { numRuns: 40 },
    );
    expect(existsSync(marker)).toBe(false);
  });

  it("commandLine runs the script with exactly the environment's values", () => {
    const env = Object.fromEntries(HOSTILE_VALUES.map(([, v], i) => [`V${i}`, v]));
    const script = HOSTILE_VALUES.map((_, i) => `printf '%s\\0' "$V${i}"`).join("\n");
    const r = sh(commandLine(env, script));
    expect(existsSync(marker), "a payload ran").toBe(false);
    expect(r.stdout.split("\0").slice(0, -1)).toEqual(HOSTILE_VALUES.map(([, v]) => v));
  });

  it("argvCommandLine runs exactly that argv", () => {
    const values = HOSTILE_VALUES.map(([, v]) => v);
    const r = sh(
      argvCommandLine({ V: values.join("|") }, [
        "sh",
        "-c",
        `printf '%s\\0' "$V" "$@"`,
        "sh",
        ...values,
      ]),
    );
    expect(existsSync(marker), "a payload ran").toBe(false);
    expect(r.stdout.split("\0").slice(0, -1)).toEqual([values.join("|"), ...values]);
  });

  it("refuses an environment variable name that is not one", () => {
    expect(() => commandLine({ "A;touch pwned": "x" }, "true")).toThrow(
      '"A;touch pwned" is not an environment variable name',
    );
  });
});
