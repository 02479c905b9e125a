/**
 * `npm run --silent dev-compose [-- --stack testing]`: prints the dev-minimal set of a stack as a
 * docker-compose.yml for developer laptops.
 */
import { resolve } from "node:path";
import { renderDevCompose } from "../components/services/compose-render";
import { validatedStackConfig } from "../lib/stack-config";

const args = process.argv.slice(2);
const stackFlag = args.indexOf("--stack");
const stack = stackFlag >= 0 ? args[stackFlag + 1] : "testing";
if (!stack) {
  process.stderr.write("usage: npm run --silent dev-compose -- [--stack <stack>]\n");
  process.exit(2);
}
try {
  process.stdout.write(
    renderDevCompose(validatedStackConfig(resolve(__dirname, ".."), stack).datastores),
  );
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
