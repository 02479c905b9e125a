/** Test helpers on node built-ins only: a bounded GET and a datastore reachability probe. */
import { Buffer } from "node:buffer";
import { request } from "node:http";
import { connect } from "node:net";

/** GET `url`; resolves to { status, headers, body (parsed JSON when it is JSON) }; bounded to `timeoutMs`. */
export function get(url, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", timeout: timeoutMs, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode, headers: res.headers, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Connects to host:port, sends `payload` and resolves to the first bytes answered. A forwarder such
 * as redir accepts the connection even when nothing listens behind it, then closes it: so only an
 * answer proves the datastore is reachable.
 */
export function firstAnswer(host, port, payload, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`${host}:${port} did not answer`)));
    socket.once("connect", () => socket.write(payload));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString("utf8"));
    });
    socket.once("end", () => fail(new Error(`${host}:${port} closed the connection unanswered`)));
    socket.once("error", fail);
  });
}
