/**
 * `ci-platform dev-compose [--stack testing]` (`npm run --silent dev-compose [-- --stack
 * testing]`): prints the dev-minimal set of a stack as a docker-compose.yml for developer laptops.
 */
import { resolve } from "node:path";
import { renderDevCompose } from "../components/services/compose-render";
import { validatedStackConfig } from "../lib/stack-config";
import { parseCommandLine, stringValue, type Command, type OptionSpecs } from "./cli/command";

const USAGE = "usage: npm run --silent dev-compose -- [--stack <stack>]";

export const DEV_COMPOSE_OPTIONS: OptionSpecs = {
  stack: {
    type: "string",
    value: "stack",
    description: "the stack whose dev-minimal set to print (default testing)",
  },
};

export const devComposeCommand: Command = {
  path: ["dev-compose"],
  summary: "prints a stack's dev-minimal datastores as a docker-compose.yml for laptops",
  options: DEV_COMPOSE_OPTIONS,
  errorPrefix: "", // its errors are the config's messages, as they always were
  run: (argv, io) => {
    const stack = stringValue(parseCommandLine(argv, DEV_COMPOSE_OPTIONS, USAGE), "stack");
    io.stdout(
      renderDevCompose(
        validatedStackConfig(resolve(__dirname, ".."), stack ?? "testing").datastores,
      ),
    );
    return Promise.resolve(0);
  },
};
