/**
 * Rules for settings that name a path on a CI host. The program writes, and for Jenkins' home
 * recursively chowns, what these name, as root: a path must be plain (it reaches shell commands
 * and unit files), and must not be a directory or file the system itself owns.
 */

/** Absolute, no empty, `.` or `..` segment, no trailing slash; nothing a shell, systemd or YAML reads specially. */
const PLAIN_PATH = /^(\/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)+$/;

/** Directories the system owns: writing over, or changing the owner of, one breaks the host. */
export const SYSTEM_DIRECTORIES: readonly string[] = [
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/etc/apt",
  "/etc/docker",
  "/etc/systemd",
  "/home",
  "/lib",
  "/lib32",
  "/lib64",
  "/media",
  "/mnt",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/sys",
  "/tmp",
  "/usr",
  "/usr/bin",
  "/usr/lib",
  "/usr/local",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/share",
  "/var",
  "/var/cache",
  "/var/lib",
  "/var/lib/docker",
  "/var/log",
  "/var/run",
  "/var/spool",
  "/var/tmp",
];

/** Trees that hold the system's own files: no service's data directory belongs inside them. */
export const SYSTEM_TREES: readonly string[] = [
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/proc",
  "/run",
  "/sbin",
  "/sys",
  "/usr",
  "/var/lib/docker",
];

/** What a path setting names, which decides what else it must not be. */
export type PathRole =
  /** A directory the program writes into. */
  | { readonly role: "directory" }
  /** A service's data directory, owned (recursively) by the service's user. */
  | { readonly role: "data-directory" }
  /** A file with a fixed name, such as the engine's daemon.json. */
  | { readonly role: "file"; readonly name: string };

/** Why `path` cannot be used for `role`, as a clause for a message, or undefined when it can. */
export function pathProblem(path: string, role: PathRole): string | undefined {
  if (SYSTEM_DIRECTORIES.includes(path)) return "is a system directory";
  if (!PLAIN_PATH.test(path))
    return "is not a plain absolute path (letters, digits and . _ + - between single slashes; no spaces, quotes, %, .. or trailing slash)";
  if (role.role === "data-directory") {
    const tree = SYSTEM_TREES.find((t) => path.startsWith(`${t}/`));
    if (tree !== undefined) return `is inside ${tree}, which the system owns`;
  }
  if (role.role === "file" && !path.endsWith(`/${role.name}`))
    return `is not a file named ${role.name}`;
  return undefined;
}
