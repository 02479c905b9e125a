#!/usr/bin/env node
// The package's "bin": the one CLI (tools/cli.ts) through tsx. Like `npm run cli`, it records no
// stack traces (`--stack-trace-limit=0`): the Pulumi SDK records one per promise, which is most of
// a plan's time; the CLI prints messages, not traces.
import { createRequire } from "node:module";

Error.stackTraceLimit = 0;
const require = createRequire(import.meta.url);
require("tsx/cjs");
require("../tools/cli.ts").main();
