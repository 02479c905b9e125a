/** Runs against the deployed container, through its published port: BASE_URL is required. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { get } from "../support/http.mjs";

const BASE_URL = process.env.BASE_URL;

describe(`the deployed service at ${BASE_URL}`, () => {
  it("is configured", () => {
    assert.ok(BASE_URL, "BASE_URL is not set: ci-test live needs the deployed service's address");
  });

  it("answers /health with the revision this build deployed", async () => {
    const { status, body } = await get(`${BASE_URL}/health`);
    assert.equal(status, 200);
    assert.equal(body.status, "ok");
    if (process.env.GIT_REVISION) assert.equal(body.revision, process.env.GIT_REVISION);
  });

  it("greets", async () => {
    const { status, body } = await get(`${BASE_URL}/hello?name=live`);
    assert.equal(status, 200);
    assert.deepEqual(body, { message: "hello, live" });
  });
});
