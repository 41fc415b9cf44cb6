import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

interface LogLine {
  readonly msg?: string;
  readonly reqId?: string;
  readonly req?: { method?: string; url?: string };
  readonly res?: { statusCode?: number };
  readonly [key: string]: unknown;
}

const linesOf = (gateway: TestGateway, reqId: string): LogLine[] =>
  gateway.logs.map((line) => JSON.parse(line) as LogLine).filter((line) => line.reqId === reqId);

describe("request loggers (made lazily, through Fastify's default child path)", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway();
  });
  after(() => gateway.close());

  test("a request's lines carry its id and Fastify's request and response serializers", async () => {
    const reqId = "request-logger-test-1";
    const response = await call(gateway, "GET", "/v1/models", { headers: { "x-request-id": reqId } });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("x-request-id"), reqId);
    await gateway.waitForLog(`"reqId":"${reqId}","res":`);
    const lines = linesOf(gateway, reqId);
    const incoming = lines.find((line) => line.msg === "incoming request");
    assert.equal(incoming?.req?.method, "GET");
    assert.equal(incoming?.req?.url, "/v1/models");
    assert.ok(lines.some((line) => line.msg === "request refused" && line.type === "missing_credentials"));
    assert.equal(lines.find((line) => line.msg === "request completed")?.res?.statusCode, 401);
  });

  test("a child of the server's logger writes with its bindings; one with its own level is kept", () => {
    const before = gateway.logs.length;
    const child = gateway.app.log.child({ probe: "lazy-child" });
    child.info("probe line");
    child.child({ nested: true }).info("nested line");
    gateway.app.log.child({ probe: "quiet-child" }, { level: "error" }).info("not written");
    const written = gateway.logs.slice(before).map((line) => JSON.parse(line) as LogLine);
    assert.equal(written[1]?.nested, true);
    assert.deepEqual(
      written.map((line) => [line.probe, line.msg]),
      [
        ["lazy-child", "probe line"],
        ["lazy-child", "nested line"],
      ],
    );
  });
});
