import { loadPlatformConfig } from "./components/config/load";
import { buildPlatform } from "./components/platform";

// The stack's outputs: only what this stack's kind builds (a CI host stack has no VPC).
export = buildPlatform(loadPlatformConfig());
