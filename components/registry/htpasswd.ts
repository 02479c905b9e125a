/**
 * The registry's users as an htpasswd file of bcrypt hashes. Hashes, not passwords, are kept in
 * stack config: a bcrypt salt is random, so hashing at deploy time would change the file (and
 * restart nginx) on every `up`; hashing once, when a user is added, keeps it stable.
 */
import { isRegistryUser } from "../model/names";

export interface HtpasswdEntry {
  readonly user: string;
  readonly hash: string;
}

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** Parses htpasswd text; throws naming the line when an entry is not `user:<bcrypt hash>`. */
export function parseHtpasswd(text: string): HtpasswdEntry[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line, i) => {
      const colon = line.indexOf(":");
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (colon < 1 || !isRegistryUser(user))
        throw new Error(`htpasswd line ${i + 1}: ${JSON.stringify(user)} is not a valid user name`);
      if (!BCRYPT.test(hash))
        throw new Error(
          `htpasswd line ${i + 1} (${user}): not a bcrypt hash; re-add the user with npm run registry:add-user`,
        );
      return { user, hash };
    });
}

/** Adds or replaces one user's entry; entries are sorted by user, so the file is deterministic. */
export function upsertHtpasswd(
  entries: readonly HtpasswdEntry[],
  entry: HtpasswdEntry,
): HtpasswdEntry[] {
  if (!isRegistryUser(entry.user))
    throw new Error(
      `${JSON.stringify(entry.user)} is not a valid user name; use lower-case letters, digits, '.', '_' and '-'`,
    );
  if (!BCRYPT.test(entry.hash)) throw new Error(`the hash for ${entry.user} is not a bcrypt hash`);
  return [...entries.filter((e) => e.user !== entry.user), entry].sort((a, b) =>
    a.user.localeCompare(b.user),
  );
}

export function renderHtpasswd(entries: readonly HtpasswdEntry[]): string {
  return entries.map((e) => `${e.user}:${e.hash}\n`).join("");
}
