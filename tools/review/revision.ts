/**
 * A throw-away checkout of one git revision, for planning it: `git archive` into a temp directory
 * (nothing in the repository's own `.git` changes), with the working tree's `node_modules` linked in.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../lib/process";

/** The commit `ref` names in the repository at `root`; fails with the ref's name if there is none. */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  const result = await run("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
    cwd: root,
  });
  const sha = result.stdout.trim();
  if (result.code !== 0 || sha === "") throw new Error(`${ref} is not a commit of this repository`);
  return sha;
}

/** The default base of a diff: `origin/main` when the remote branch is known, else `HEAD`. */
export async function defaultBase(root: string): Promise<string> {
  try {
    await resolveCommit(root, "origin/main");
    return "origin/main";
  } catch {
    return "HEAD";
  }
}

/** Writes the tree of `commit` into `dir` (`git archive | tar -x`). */
function extract(root: string, commit: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const git = spawn("git", ["archive", "--format=tar", commit], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tar = spawn("tar", ["-x", "-C", dir], { stdio: ["pipe", "ignore", "pipe"] });
    const errors: string[] = [];
    git.stderr.on("data", (b: Buffer) => errors.push(b.toString()));
    tar.stderr.on("data", (b: Buffer) => errors.push(b.toString()));
    git.stdout.pipe(tar.stdin);
    let pending = 2;
    let failed = false;
    const done = (what: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} exited ${code}: ${errors.join("").trim()}`));
      }
      if (--pending === 0 && !failed) resolve();
    };
    git.on("error", reject);
    tar.on("error", reject);
    git.on("close", done(`git archive ${commit}`));
    tar.on("close", done("tar -x"));
  });
}

/**
 * Runs `fn` on a fresh copy of revision `ref` and removes the copy afterwards, also on failure.
 * The copy uses the working tree's `node_modules`: a revision with other dependencies is planned
 * with today's.
 */
export async function withRevision<T>(
  root: string,
  ref: string,
  fn: (dir: string, commit: string) => Promise<T>,
): Promise<T> {
  const commit = await resolveCommit(root, ref);
  const dir = mkdtempSync(join(tmpdir(), `plan-${commit.slice(0, 12)}-`));
  try {
    await extract(root, commit, dir);
    const modules = join(root, "node_modules");
    if (existsSync(modules)) symlinkSync(modules, join(dir, "node_modules"), "dir");
    return await fn(dir, commit);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
