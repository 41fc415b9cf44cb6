/**
 * @module test/support/deploy-files
 * Reads the deployment files (Dockerfile, docker-compose.yml, deploy/) into plain values the deploy tests check.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface DockerInstruction {
  /** Upper-case keyword: FROM, ENV, USER, CMD, HEALTHCHECK… */
  readonly keyword: string;
  /** The rest of the instruction, continuation lines joined. */
  readonly rest: string;
}

/** The Dockerfile's instructions, stage by stage (each stage starts with its FROM). */
export function readDockerfileStages(text = readFileSync(join(ROOT, "Dockerfile"), "utf8")) {
  const logical: string[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (pending === "" && /^\s*(#|$)/.test(line)) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(pending + line.trim());
    pending = "";
  }
  const stages: DockerInstruction[][] = [];
  for (const instruction of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(instruction);
    if (match === null) continue;
    const parsed = { keyword: match[1]!.toUpperCase(), rest: match[2]! };
    if (parsed.keyword === "FROM") stages.push([]);
    const current = stages.at(-1);
    if (current === undefined) throw new Error(`Dockerfile: ${parsed.keyword} before the first FROM`);
    current.push(parsed);
  }
  return stages;
}

/** An exec-form argument list (`["node", "dist/main.js"]`), or an error for the shell form. */
export function parseExecForm(rest: string): string[] {
  const parsed: unknown = JSON.parse(rest);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new Error(`not an exec-form argument list: ${rest}`);
  }
  return parsed;
}

/** The variables an ENV instruction sets (`ENV A=1 B=2` form only). */
export function parseEnvInstruction(rest: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const pair of rest.split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`ENV in the KEY=value form only: ${rest}`);
    variables[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return variables;
}

/** The final stage's settings: what the image runs and as whom. */
export function readImage() {
  const stages = readDockerfileStages();
  const final = stages.at(-1) ?? [];
  const last = (keyword: string) => final.findLast((instruction) => instruction.keyword === keyword);
  const env: Record<string, string> = {};
  for (const instruction of final) {
    if (instruction.keyword === "ENV") Object.assign(env, parseEnvInstruction(instruction.rest));
  }
  const healthcheck = last("HEALTHCHECK")?.rest ?? "";
  const healthcheckCommand = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck)?.[1];
  return {
    stages,
    from: stages.map((stage) => stage[0]!.rest),
    user: last("USER")?.rest,
    env,
    volumes: final.filter((instruction) => instruction.keyword === "VOLUME").map((volume) => volume.rest),
    cmd: parseExecForm(last("CMD")?.rest ?? "null"),
    healthcheck: healthcheckCommand === undefined ? undefined : parseExecForm(healthcheckCommand),
  };
}

/** Every YAML document of a file; throws on the first parse error (with the file's name). */
export function readYamlDocuments(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(join(ROOT, file), "utf8"), { merge: true });
  const list = Array.isArray(documents) ? documents : [documents];
  return list.map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
    return document.toJS() as unknown;
  });
}

/** Files under `dir` (relative to the root), recursively, with one of the extensions. */
export function listFiles(dir: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (extensions.some((extension) => entry.name.endsWith(extension)))
        found.push(relative(ROOT, full));
    }
  };
  walk(join(ROOT, dir));
  return found.sort();
}

export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec?: unknown;
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
}

/** Every Kubernetes object under deploy/kubernetes/ (the kustomization itself excluded), by kind. */
export function readKubernetesObjects(): Map<string, KubernetesObject> {
  const byKind = new Map<string, KubernetesObject>();
  for (const file of listFiles("deploy/kubernetes", [".yaml", ".yml"])) {
    for (const document of readYamlDocuments(file)) {
      const object = document as KubernetesObject;
      if (object.kind === "Kustomization") continue;
      if (byKind.has(object.kind))
        throw new Error(`two ${object.kind} objects; the tests expect one of each`);
      byKind.set(object.kind, object);
    }
  }
  return byKind;
}

export function kubernetesObject(kind: string): KubernetesObject {
  const object = readKubernetesObjects().get(kind);
  if (object === undefined) throw new Error(`no ${kind} under deploy/kubernetes/`);
  return object;
}

export interface HttpProbe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports?: ReadonlyArray<{ readonly name?: string; readonly containerPort: number }>;
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value?: string }>;
  readonly envFrom?: ReadonlyArray<{ readonly secretRef?: { readonly name: string } }>;
  readonly readinessProbe?: HttpProbe;
  readonly livenessProbe?: HttpProbe;
  readonly startupProbe?: HttpProbe;
  readonly lifecycle?: { readonly preStop?: { readonly sleep?: { readonly seconds: number } } };
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly allowPrivilegeEscalation?: boolean;
  };
  readonly volumeMounts?: ReadonlyArray<{ readonly name: string; readonly mountPath: string }>;
}

export interface DeploymentSpec {
  readonly replicas?: number;
  readonly selector: { readonly matchLabels: Readonly<Record<string, string>> };
  readonly template: {
    readonly metadata: { readonly labels: Readonly<Record<string, string>> };
    readonly spec: {
      readonly terminationGracePeriodSeconds?: number;
      readonly securityContext?: { readonly runAsNonRoot?: boolean; readonly runAsUser?: number };
      readonly containers: readonly ContainerSpec[];
      readonly volumes?: ReadonlyArray<{
        readonly name: string;
        readonly configMap?: { readonly name: string };
      }>;
    };
  };
}

/** The Deployment's spec and its one container. */
export function readDeployment(): { spec: DeploymentSpec; container: ContainerSpec } {
  const spec = kubernetesObject("Deployment").spec as DeploymentSpec;
  const [container, ...others] = spec.template.spec.containers;
  if (container === undefined || others.length > 0) throw new Error("the Deployment has one container");
  return { spec, container };
}
