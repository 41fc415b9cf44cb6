/**
 * @module test/deploy/deploy-environment
 * Every environment variable the deployment files set is one the gateway reads, and their config loads with it.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CONFIG_ENVIRONMENT_VARIABLES, loadConfig } from "../../src/config/load-config.ts";
import {
  kubernetesObject,
  ROOT,
  readDeployment,
  readImage,
  readYamlDocuments,
} from "../support/deploy-files.ts";
import { createTempDir } from "../support/start-gateway.ts";

/** Node's own variables, which the deployment files may set for the runtime rather than for the gateway. */
const NODE_VARIABLES = ["NODE_OPTIONS"];

/** Read by the worker processes' part of issue #16 (branch p16-workers); once merged, this list goes. */
const PENDING_VARIABLES = ["BYOK_WORKERS"];

const known = new Set([...CONFIG_ENVIRONMENT_VARIABLES, ...NODE_VARIABLES, ...PENDING_VARIABLES]);

interface ComposeFile {
  services: Record<
    string,
    { build?: string; environment?: Record<string, string>; stop_grace_period?: string }
  >;
}

function composeGatewayEnvironment(): Record<string, string> {
  const [compose] = readYamlDocuments("docker-compose.yml") as [ComposeFile];
  const gateways = Object.values(compose.services).filter((service) => service.build === ".");
  assert.ok(gateways.length > 0);
  const [first, ...others] = gateways.map((service) => service.environment ?? {});
  for (const other of others) assert.deepEqual(other, first, "every replica has the same environment");
  return first!;
}

/** The shortest stop_grace_period of the gateway replicas, in seconds (compose's default: 10). */
function composeStopGraceSeconds(): number {
  const [compose] = readYamlDocuments("docker-compose.yml") as [ComposeFile];
  const gateways = Object.values(compose.services).filter((service) => service.build === ".");
  return Math.min(...gateways.map((service) => Number.parseInt(service.stop_grace_period ?? "10", 10)));
}

/** `${NAME:?message}` / `${NAME:-default}` / `${NAME}` → a value for a test run. */
function interpolate(value: string, supplied: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{(\w+)(?::[?-]([^}]*))?\}/g, (_whole, name: string, fallback?: string) => {
    const given = supplied[name];
    if (given !== undefined) return given;
    return fallback !== undefined && !/^set /.test(fallback) ? fallback : "";
  });
}

function kubernetesEnvironment(): Record<string, string> {
  const { container } = readDeployment();
  const secret = kubernetesObject("Secret").stringData ?? {};
  const direct = Object.fromEntries((container.env ?? []).map((entry) => [entry.name, entry.value ?? ""]));
  return { ...readImage().env, ...secret, ...direct };
}

function assertAllRead(where: string, names: readonly string[]): void {
  const unknown = names.filter((name) => !known.has(name));
  assert.deepEqual(unknown, [], `${where} sets variables the gateway never reads`);
}

test("every variable the image, the compose file and the Kubernetes manifests set is one the gateway reads", () => {
  assertAllRead("Dockerfile", Object.keys(readImage().env));
  assertAllRead("docker-compose.yml", Object.keys(composeGatewayEnvironment()));
  assertAllRead("deploy/kubernetes", Object.keys(kubernetesEnvironment()));
  // The list itself is the gateway's: a sample of what load-config reads.
  for (const name of ["BYOK_PEPPER", "BYOK_ADMIN_TOKEN", "BYOK_CONFIG", "BYOK_OPENAI_API_KEY"]) {
    assert.ok(CONFIG_ENVIRONMENT_VARIABLES.includes(name), name);
  }
  // Secrets travel in the environment, never in the mounted config file.
  const secrets = ["BYOK_PEPPER", "BYOK_ADMIN_TOKEN", "BYOK_DATABASE_URL", "BYOK_REDIS_URL"];
  for (const name of secrets) {
    assert.ok(name in composeGatewayEnvironment(), `compose sets ${name}`);
    assert.ok(name in (kubernetesObject("Secret").stringData ?? {}), `the Secret holds ${name}`);
  }
});

test("the ConfigMap carries deploy/byok.yaml, and it loads with each deployment's environment", () => {
  const file = readFileSync(join(ROOT, "deploy/byok.yaml"), "utf8");
  assert.equal(kubernetesObject("ConfigMap").data?.["byok.yaml"], file);
  const dir = createTempDir("byok-deploy-config-");
  try {
    const path = join(dir, "byok.yaml");
    writeFileSync(path, file);
    const supplied = {
      BYOK_PEPPER: "compose-pepper-0123456789abcdef-0123456789abcdef",
      BYOK_ADMIN_TOKEN: "compose-admin-token-0123456789",
      POSTGRES_PASSWORD: "compose-password",
    };
    const compose = Object.fromEntries(
      Object.entries(composeGatewayEnvironment()).map(([name, value]) => [
        name,
        interpolate(value, supplied),
      ]),
    );
    // Each deployment's environment as the container sees it (the image's ENV under the deployment's own),
    // with the seconds it grants a replica to stop (compose's stop_grace_period; the pod's grace period less
    // its preStop pause).
    const { spec, container } = readDeployment();
    const deployments = [
      { env: { ...readImage().env, ...compose }, stopSeconds: composeStopGraceSeconds() },
      {
        env: kubernetesEnvironment(),
        stopSeconds:
          (spec.template.spec.terminationGracePeriodSeconds ?? 30) -
          (container.lifecycle?.preStop?.sleep?.seconds ?? 0),
      },
    ];
    const nginxKeepAliveSeconds = Number(
      /keepalive_timeout\s+(\d+)s;/.exec(readFileSync(join(ROOT, "deploy/nginx.conf"), "utf8"))?.[1],
    );
    for (const { env, stopSeconds } of deployments) {
      const config = loadConfig({ file: path, env: { ...env, BYOK_CONFIG: path, BYOK_DATA_DIR: dir } });
      assert.equal(config.production, true, "the image runs in production mode");
      assert.ok(config.pepper !== undefined && config.adminToken !== undefined);
      // The balancer's private and loopback hops only, not every hop (true): a client on a public address
      // cannot choose its own in X-Forwarded-For.
      assert.deepEqual(config.server.trustProxy, ["loopback", "uniquelocal"]);
      // What the replica runs with, environment included: its shutdown deadline and 6 s more fit the time
      // it is given to stop (docs/deployment.md), and it keeps idle connections longer than the balancer.
      assert.ok(stopSeconds >= config.server.shutdownTimeoutMs / 1000 + 6, `${stopSeconds} s to stop`);
      assert.ok(config.server.keepAliveTimeoutMs > nginxKeepAliveSeconds * 1000, "keep-alive above nginx's");
      assert.equal(config.server.port, Number(env.BYOK_PORT ?? config.server.port));
      assert.ok(Object.keys(config.features).length > 0);
      // The fleet's state and coordination: PostgreSQL and Redis, from the environment.
      assert.match(config.storage.postgres?.url.reveal() ?? "", /^postgres:\/\//);
      assert.match(config.redis.url?.reveal() ?? "", /^rediss?:\/\//);
    }
    // Without the database URL the fleet's file is refused: no replica falls back to a SQLite file of its own.
    const { BYOK_DATABASE_URL: _url, ...withoutDatabase } = kubernetesEnvironment();
    assert.throws(
      () => loadConfig({ file: path, env: { ...withoutDatabase, BYOK_DATA_DIR: dir } }),
      /storage\.postgres\.url/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
