import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../src/app.mjs";
import { get } from "../support/http.mjs";

describe("the HTTP API on a free port", () => {
  const server = createApp({ service: "sample-service", revision: "abc123" });
  let base;

  before(async () => {
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it("answers /health with the service and revision", async () => {
    const { status, body } = await get(`${base}/health`);
    assert.equal(status, 200);
    assert.deepEqual(body, { status: "ok", service: "sample-service", revision: "abc123" });
  });

  it("greets by name", async () => {
    const { status, body } = await get(`${base}/hello?name=unit`);
    assert.equal(status, 200);
    assert.deepEqual(body, { message: "hello, unit" });
  });

  it("answers 400 when the name is too long", async () => {
    const { status } = await get(`${base}/hello?name=${"x".repeat(65)}`);
    assert.equal(status, 400);
  });

  it("answers 404 for an unknown path", async () => {
    const { status } = await get(`${base}/nope`);
    assert.equal(status, 404);
  });
});
