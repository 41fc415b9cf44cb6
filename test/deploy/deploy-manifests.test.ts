/**
 * @module test/deploy/deploy-manifests
 * The deployment files parse, and the Kubernetes objects, the compose file and the image agree with each other.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  type DeploymentSpec,
  kubernetesObject,
  listFiles,
  ROOT,
  readDeployment,
  readImage,
  readKubernetesObjects,
  readYamlDocuments,
} from "../support/deploy-files.ts";

test("every YAML and JSON deployment file parses", () => {
  const files = ["docker-compose.yml", ...listFiles("deploy", [".yaml", ".yml", ".json"])];
  assert.ok(files.length >= 9, `found ${files.join(", ")}`);
  for (const file of files) {
    if (file.endsWith(".json")) JSON.parse(readFileSync(join(ROOT, file), "utf8"));
    else assert.ok(readYamlDocuments(file).length > 0, `${file} holds a document`);
  }
  // The kustomization lists every manifest of the folder, and only those.
  const [kustomization] = readYamlDocuments("deploy/kubernetes/kustomization.yaml") as [
    { resources: string[] },
  ];
  const manifests = listFiles("deploy/kubernetes", [".yaml"])
    .map((file) => file.replace("deploy/kubernetes/", ""))
    .filter((file) => file !== "kustomization.yaml");
  assert.deepEqual([...kustomization.resources].sort(), manifests);
});

test("the Kubernetes objects: one of each kind, selectors and references that meet", () => {
  const objects = readKubernetesObjects();
  assert.deepEqual(
    [...objects.keys()].sort(),
    ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret", "Service"].sort(),
  );
  const { spec, container } = readDeployment();
  const podLabels = spec.template.metadata.labels;
  const selects = (selector: Readonly<Record<string, string>>) =>
    Object.entries(selector).every(([key, value]) => podLabels[key] === value);
  assert.ok(selects(spec.selector.matchLabels), "the Deployment selects its own pods");
  const service = kubernetesObject("Service").spec as {
    selector: Record<string, string>;
    ports: Array<{ targetPort: string | number }>;
  };
  assert.ok(selects(service.selector), "the Service selects the gateway pods");
  const portNames = (container.ports ?? []).map((port) => port.name);
  for (const port of service.ports) assert.ok(portNames.includes(String(port.targetPort)));
  const budget = kubernetesObject("PodDisruptionBudget").spec as {
    selector: { matchLabels: Record<string, string> };
    maxUnavailable?: number;
  };
  assert.ok(selects(budget.selector.matchLabels), "the PodDisruptionBudget covers the gateway pods");
  const autoscaler = kubernetesObject("HorizontalPodAutoscaler").spec as {
    scaleTargetRef: { kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
  };
  assert.deepEqual(
    { kind: autoscaler.scaleTargetRef.kind, name: autoscaler.scaleTargetRef.name },
    { kind: "Deployment", name: kubernetesObject("Deployment").metadata.name },
  );
  // The budget must leave room to drain a node at the autoscaler's floor.
  assert.ok(autoscaler.minReplicas >= 2 && autoscaler.minReplicas <= autoscaler.maxReplicas);
  assert.ok((budget.maxUnavailable ?? 0) >= 1 && (budget.maxUnavailable ?? 0) < autoscaler.minReplicas);
  // The container's config volume is the ConfigMap, its secrets the Secret.
  const volumes = spec.template.spec.volumes ?? [];
  assert.ok(volumes.some((volume) => volume.configMap?.name === kubernetesObject("ConfigMap").metadata.name));
  assert.deepEqual(
    (container.envFrom ?? []).map((source) => source.secretRef?.name),
    [kubernetesObject("Secret").metadata.name],
  );
});

test("the Deployment runs as a non-root user, with resources, probes and a grace period that fits the shutdown", () => {
  const { spec, container } = readDeployment();
  const pod: DeploymentSpec["template"]["spec"] = spec.template.spec;
  assert.equal(pod.securityContext?.runAsNonRoot, true);
  assert.ok((pod.securityContext?.runAsUser ?? 0) > 0);
  assert.equal(container.securityContext?.runAsNonRoot, true);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
  for (const kind of ["requests", "limits"] as const) {
    assert.ok(container.resources?.[kind]?.cpu, `resources.${kind}.cpu`);
    assert.ok(container.resources?.[kind]?.memory, `resources.${kind}.memory`);
  }
  assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");
  assert.equal(container.livenessProbe?.httpGet?.path, "/healthz");
  // docs/deployment.md: the grace period covers the preStop pause, the shutdown deadline and 6 s more.
  const config = readYamlDocuments("deploy/byok.yaml")[0] as { server: { shutdownTimeoutMs: number } };
  const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  assert.ok(grace >= preStop + config.server.shutdownTimeoutMs / 1000 + 6, `grace ${grace}s is enough`);
});

test("docker-compose: two gateway replicas behind a balancer, with PostgreSQL and Redis", () => {
  const [compose] = readYamlDocuments("docker-compose.yml") as [
    {
      services: Record<
        string,
        { build?: string; image?: string; volumes?: string[]; stop_grace_period?: string; ports?: string[] }
      >;
    },
  ];
  const gateways = Object.entries(compose.services).filter(([, service]) => service.build === ".");
  assert.equal(gateways.length, 2, "two gateway replicas built from this Dockerfile");
  assert.ok(compose.services.postgres?.image?.startsWith("postgres:"));
  assert.ok(compose.services.redis?.image?.startsWith("redis:"));
  const balancer = compose.services.balancer;
  assert.ok(balancer?.image?.startsWith("nginx:"));
  assert.ok(balancer?.volumes?.includes("./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"));
  // The balancer's upstreams are exactly the gateway services, on the port the image listens on.
  const nginx = readFileSync(join(ROOT, "deploy/nginx.conf"), "utf8");
  const upstreams = [...nginx.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((match) => match.slice(1));
  assert.deepEqual(
    upstreams,
    gateways.map(([name]) => [name, readImage().env.BYOK_PORT]),
  );
  for (const [name, service] of gateways) {
    assert.ok(service.volumes?.includes("./deploy/byok.yaml:/etc/byok/byok.yaml:ro"), name);
    const grace = Number.parseInt(service.stop_grace_period ?? "10", 10);
    const config = readYamlDocuments("deploy/byok.yaml")[0] as { server: { shutdownTimeoutMs: number } };
    assert.ok(grace >= config.server.shutdownTimeoutMs / 1000 + 6, `${name}: stop_grace_period fits`);
  }
});
