/** Entry point: serves the API on PORT (default 5000, the platform's port for every service). */
import { setTimeout } from "node:timers";
import { createApp } from "./app.mjs";

const port = Number(process.env.PORT ?? 5000);
const server = createApp({
  service: process.env.SERVICE ?? "sample-service",
  revision: process.env.GIT_REVISION ?? "unknown",
});

server.listen(port, "0.0.0.0", () => {
  console.log(`listening on 0.0.0.0:${port}`);
});

// As PID 1 in a container, node ignores SIGTERM unless it handles it: stop promptly on it.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    console.log(`${signal}: closing`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  });
}
