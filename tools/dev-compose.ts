/**
 * `npm run --silent dev-compose [-- --stack testing]`: prints the dev-minimal set of a stack as a
 * docker-compose.yml for developer laptops.
 */
import { resolve } from "node:path";
import { formatConfigIssues } from "../components/config/format";
import { validateStackConfig } from "../components/config/validate";
import { renderDevCompose } from "../components/services/compose-render";
import { readStackFile } from "./plan/stack-file";

const args = process.argv.slice(2);
const stackFlag = args.indexOf("--stack");
const stack = stackFlag >= 0 ? args[stackFlag + 1] : "testing";
if (!stack) {
  process.stderr.write("usage: npm run --silent dev-compose -- [--stack <stack>]\n");
  process.exit(2);
}
const file = readStackFile(resolve(__dirname, ".."), stack);
const prefix = `${file.project}:`;
const values = Object.fromEntries(
  Object.entries(file.config)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, value]) => [
      key.slice(prefix.length),
      /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value,
    ]),
);
const secretKeys = new Set(file.secretKeys.map((k) => k.slice(prefix.length)));
const result = validateStackConfig({ project: file.project, stack, values, secretKeys });
if (!result.ok) {
  process.stderr.write(`${formatConfigIssues(file.project, stack, result.issues)}\n`);
  process.exit(1);
}
process.stdout.write(renderDevCompose(result.config.datastores));
