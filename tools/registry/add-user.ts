/**
 * `npm run --silent registry:add-user -- <user>`: adds a registry user (or changes its password).
 * Reads the current htpasswd on stdin, the new password from REGISTRY_PASSWORD (never from the
 * command line, where `ps` shows it), and prints the new htpasswd with a bcrypt hash:
 *
 *   pulumi config get registryHtpasswd --stack staging \
 *     | REGISTRY_PASSWORD=... npm run --silent registry:add-user -- jenkins \
 *     | pulumi config set --secret registryHtpasswd --stack staging
 */
import bcrypt from "bcryptjs";
import { parseHtpasswd, renderHtpasswd, upsertHtpasswd } from "../../components/registry/htpasswd";

/** bcrypt cost: about a quarter second per hash here, paid once per login attempt by nginx. */
export const BCRYPT_COST = 12;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  const [user, ...rest] = process.argv.slice(2);
  if (!user || rest.length > 0)
    throw new Error(
      "usage: npm run --silent registry:add-user -- <user> (password in REGISTRY_PASSWORD)",
    );
  const password = process.env["REGISTRY_PASSWORD"];
  if (!password || password.length < 12)
    throw new Error("set REGISTRY_PASSWORD to the new password, at least 12 characters");
  const current = parseHtpasswd(await readStdin());
  const hash = await bcrypt.hash(password, BCRYPT_COST);
  process.stdout.write(renderHtpasswd(upsertHtpasswd(current, { user, hash })));
}

main().catch((err: unknown) => {
  process.stderr.write(`registry:add-user: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
