import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          exclude: ["**/*.cli.test.ts", "**/node_modules/**"],
          include: [
            "components/**/*.test.ts",
            "lib/**/*.test.ts",
            "tools/**/*.test.ts",
            "policy/**/*.test.ts",
            "test/*.test.ts",
          ],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        test: {
          // The command-line tools (and the policy pack's server) run end to end as child
          // processes: seconds each.
          name: "cli",
          include: ["tools/**/*.cli.test.ts", "policy/**/*.cli.test.ts"],
          environment: "node",
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          // Real daemons and Docker engines: one file at a time, generous but bounded.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
