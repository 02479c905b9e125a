/** The HTTP API, as a server not yet listening (the unit tests start it on a free port). */
import { createServer } from "node:http";
import { URL } from "node:url";
import { greeting } from "./greeting.mjs";

/**
 * GET /health       200 {"status":"ok","service":..,"revision":..}: the pipeline's health check.
 * GET /hello?name=  200 {"message":"hello, <name>"}; 400 when the name is too long.
 * Anything else     404, or 405 for a method other than GET.
 */
export function createApp({ service, revision }) {
  return createServer((req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== "GET") return send(405, { error: `method ${req.method} not allowed` });
    const url = new URL(req.url ?? "/", "http://localhost");
    switch (url.pathname) {
      case "/health":
        return send(200, { status: "ok", service, revision });
      case "/hello":
        try {
          return send(200, { message: greeting(url.searchParams.get("name")) });
        } catch (e) {
          if (e instanceof RangeError) return send(400, { error: e.message });
          throw e;
        }
      default:
        return send(404, { error: `no route ${url.pathname}` });
    }
  });
}
