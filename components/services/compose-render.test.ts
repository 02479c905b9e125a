import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SERVICE_CATALOG, type DatastoreEntry } from "../catalog/catalog";
import { renderDevCompose } from "./compose-render";

const datastores = SERVICE_CATALOG.filter((e): e is DatastoreEntry => e.kind === "datastore");

describe("renderDevCompose", () => {
  it("binds postgres to 127.0.0.1 and takes its password from the developer's environment", () => {
    const doc = parse(renderDevCompose(datastores)) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(doc.services["postgres"]?.["command"]).toEqual([
      "postgres",
      "-c",
      "listen_addresses=127.0.0.1",
    ]);
    expect(doc.services["postgres"]?.["environment"]).toEqual({
      POSTGRES_PASSWORD:
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in your environment (any value, for the local postgres)}",
    });
  });

  it("runs each catalog datastore on the host network with the CI hosts' hardening", () => {
    const doc = parse(renderDevCompose(datastores)) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.services)).toEqual(["mongodb", "postgres", "redis"]);
    expect(doc.services["redis"]).toEqual({
      image: "redis:7.2",
      network_mode: "host",
      command: ["redis-server", "--bind", "127.0.0.1"],
      restart: "unless-stopped",
      mem_limit: "256m",
      memswap_limit: "256m",
      security_opt: ["no-new-privileges:true"],
      logging: { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } },
      healthcheck: {
        test: ["CMD", "redis-cli", "ping"],
        interval: "10s",
        timeout: "5s",
        retries: 5,
        start_period: "30s",
      },
    });
  });

  it("does not depend on catalog order", () => {
    expect(renderDevCompose([...datastores].reverse())).toBe(renderDevCompose(datastores));
  });
});
