/**
 * Runs in the pipeline's shared network namespace: the service (same image, default command) on
 * 127.0.0.1:5000, and the datastores it uses forwarded by redir from 127.0.0.1 to the CI host's
 * dev-minimal set.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstAnswer, get } from "../support/http.mjs";

const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:5000";

describe("the service with its datastores", () => {
  it("is healthy and runs the revision under test", async () => {
    const { status, body } = await get(`${BASE_URL}/health`);
    assert.equal(status, 200);
    assert.equal(body.status, "ok");
    if (process.env.GIT_REVISION) assert.equal(body.revision, process.env.GIT_REVISION);
  });

  it("greets through the network", async () => {
    const { body } = await get(`${BASE_URL}/hello?name=integration`);
    assert.deepEqual(body, { message: "hello, integration" });
  });

  // Use 127.0.0.1, not "localhost": redir forwards IPv4 only.
  it("reaches redis on 127.0.0.1:6379", async () => {
    const answer = await firstAnswer("127.0.0.1", 6379, "PING\r\n");
    assert.ok(answer.length > 0, "redis answered nothing");
  });
});
