/**
 * `ci-platform registry add-user <user> <pull|push|delete>` (`npm run --silent registry:add-user
 * --`): adds a registry user (or changes its password). Reads the current htpasswd on stdin, the
 * new password from REGISTRY_PASSWORD (never from the command line, where `ps` shows it), prints
 * the new htpasswd with a bcrypt hash on stdout, and on stderr the `registry.users` entry that
 * gives the user its role (nginx answers 403 to a user without one):
 *
 *   pulumi config get registryHtpasswd --stack staging \
 *     | REGISTRY_PASSWORD=... npm run --silent registry:add-user -- jenkins push \
 *     | pulumi config set --secret registryHtpasswd --stack staging
 */
import bcrypt from "bcryptjs";
import { REGISTRY_ROLES, type RegistryRole } from "../../components/config/types";
import { parseHtpasswd, renderHtpasswd, upsertHtpasswd } from "../../components/registry/htpasswd";
import { parseCommandLine, UsageError, type Command } from "../cli/command";

/** bcrypt cost: about a quarter second per hash here, paid once per login attempt by nginx. */
export const BCRYPT_COST = 12;

const USAGE = `usage: npm run --silent registry:add-user -- <user> <${REGISTRY_ROLES.join("|")}> (password in REGISTRY_PASSWORD)`;

/** The user and role from the command line; throws the usage or names the bad role. */
export function parseAddUserArgs(argv: readonly string[]): { user: string; role: RegistryRole } {
  const [user, role, ...rest] = parseCommandLine(argv, {}, USAGE, {
    positionals: true,
  }).positionals;
  if (!user || !role || rest.length > 0) throw new UsageError(USAGE);
  if (!REGISTRY_ROLES.includes(role as RegistryRole))
    throw new UsageError(
      `${JSON.stringify(role)} is not a registry role; use one of ${REGISTRY_ROLES.join(", ")}`,
    );
  return { user, role: role as RegistryRole };
}

/** What to add to the stack's registry block so the user gets its role. */
export function registryUsersHint(user: string, role: RegistryRole): string {
  return [
    `registry:add-user: ${user} is in the new htpasswd; give it its role in the stack's registry block (Pulumi.<stack>.yaml), or nginx answers it 403:`,
    "  ci-platform:registry:",
    "    users:",
    `      ${user}: ${role}`,
    "",
  ].join("\n");
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export const addUserCommand: Command = {
  path: ["registry", "add-user"],
  summary: "adds a registry user to the htpasswd on stdin; prints the new htpasswd",
  positionals: `<user> <${REGISTRY_ROLES.join("|")}>`,
  options: {},
  notes:
    "The new password comes from REGISTRY_PASSWORD (at least 12 characters), never the command line.",
  errorPrefix: "registry:add-user",
  run: async (argv, io) => {
    const { user, role } = parseAddUserArgs(argv);
    const password = process.env["REGISTRY_PASSWORD"];
    if (!password || password.length < 12)
      throw new Error("set REGISTRY_PASSWORD to the new password, at least 12 characters");
    const current = parseHtpasswd(await readStdin());
    const hash = await bcrypt.hash(password, BCRYPT_COST);
    io.stdout(renderHtpasswd(upsertHtpasswd(current, { user, hash })));
    io.stderr(registryUsersHint(user, role));
    return 0;
  },
};
