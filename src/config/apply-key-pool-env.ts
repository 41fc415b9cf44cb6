/**
 * @module config/apply-key-pool-env
 * The environment form of operator key pools: `BYOK_<PROVIDER>_API_KEYS` / `BYOK_CONNECTION_<NAME>_API_KEYS`
 * (keys, comma-separated) and `…_API_KEY_WEIGHTS` (their weights); the environment wins over the file.
 */
import { PROVIDER_IDS } from "../keys/provider-ids.ts";
import type { ConfigIssue } from "./config-error.ts";
import { connectionKeyVariable } from "./connection-schema.ts";

type Json = Record<string, unknown>;

/** `BYOK_CONNECTION_<NAME>_API_KEYS` and `…_API_KEY_WEIGHTS`, for the connections the file declares. */
export const CONNECTION_KEY_POOL_VARIABLE = /^BYOK_CONNECTION_([A-Z0-9_]+)_API_KEY(S|_WEIGHTS)$/;

/** The providers' pool variables (every provider's, custom included so its refusal names the setting). */
export const PROVIDER_KEY_POOL_VARIABLES: readonly string[] = PROVIDER_IDS.flatMap((id) => [
  `BYOK_${id.toUpperCase()}_API_KEYS`,
  `BYOK_${id.toUpperCase()}_API_KEY_WEIGHTS`,
]);

interface PoolTarget {
  /** `providers.openai`, `connections.local-llm`. */
  readonly path: readonly string[];
  /** The single-key variable (`…_API_KEY`). */
  readonly single: string;
}

const list = (value: string) =>
  value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);

function nodeAt(raw: Json, path: readonly string[]): Json {
  let node = raw;
  for (const segment of path) {
    const next = node[segment];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Json;
  }
  return node;
}

/** Weights as numbers, or an issue (the text names the variable and counts, never a key or a value). */
function parseWeights(
  variable: string,
  value: string,
  count: number,
  issues: ConfigIssue[],
): number[] | null {
  const parts = list(value);
  const weights = parts.map(Number);
  if (weights.some((weight) => !Number.isFinite(weight) || weight <= 0)) {
    issues.push({ path: variable, message: "weights are positive numbers, comma-separated" });
    return null;
  }
  if (weights.length !== count) {
    issues.push({ path: variable, message: `lists ${weights.length} weights for ${count} keys` });
    return null;
  }
  return weights;
}

function applyPool(
  raw: Json,
  target: PoolTarget,
  env: Readonly<Record<string, string | undefined>>,
  origin: Map<string, string>,
  issues: ConfigIssue[],
): void {
  const keysVariable = `${target.single}S`;
  const weightsVariable = `${target.single}_WEIGHTS`;
  const keysValue = env[keysVariable];
  const weightsValue = env[weightsVariable];
  const dotted = target.path.join(".");
  const singleFromEnv = origin.has(`${dotted}.apiKey`);
  if (keysValue === undefined || keysValue === "") {
    if (weightsValue !== undefined && weightsValue !== "") {
      issues.push({ path: weightsVariable, message: `weighs the keys of ${keysVariable}, which is not set` });
    }
    // A single key from the environment replaces the file's pool (the environment wins).
    if (singleFromEnv) {
      const settings = nodeAt(raw, target.path);
      delete settings.apiKeys;
      delete settings.keyPool;
    }
    return;
  }
  if (singleFromEnv) {
    issues.push({ path: keysVariable, message: `set either ${target.single} or ${keysVariable}, not both` });
    return;
  }
  const keys = list(keysValue);
  const weights =
    weightsValue === undefined || weightsValue === ""
      ? keys.map(() => 1)
      : parseWeights(weightsVariable, weightsValue, keys.length, issues);
  if (weights === null) return;
  const settings = nodeAt(raw, target.path);
  delete settings.apiKey;
  settings.apiKeys = keys.map((apiKey, index) => ({ apiKey, weight: weights[index] }));
  origin.set(`${dotted}.apiKeys`, keysVariable);
}

/** The declared connections each `BYOK_CONNECTION_<NAME>_API_KEY` names (two names may share one). */
export function connectionsByVariable(raw: Json): Map<string, string[]> {
  const declared = raw.connections;
  const names =
    typeof declared === "object" && declared !== null && !Array.isArray(declared)
      ? Object.keys(declared)
      : [];
  const byVariable = new Map<string, string[]>();
  for (const name of names) {
    const variable = connectionKeyVariable(name);
    byVariable.set(variable, [...(byVariable.get(variable) ?? []), name]);
  }
  return byVariable;
}

/**
 * The one connection a connection key variable names (`single`: its `BYOK_CONNECTION_<NAME>_API_KEY` form),
 * else undefined with the issue said under `variable`: no connection, or several sharing the name.
 */
export function connectionNamedBy(
  byVariable: ReadonlyMap<string, readonly string[]>,
  single: string,
  variable: string,
  issues: ConfigIssue[],
): string | undefined {
  const matching = byVariable.get(single) ?? [];
  if (matching.length === 1) return matching[0];
  issues.push({
    path: variable,
    message:
      matching.length === 0
        ? "no connection of the configuration is named by this variable"
        : `names several connections (${matching.join(", ")}): rename one`,
  });
  return undefined;
}

/** Applies every key pool variable of `env` to `raw` (after the single-key variables were applied). */
export function applyKeyPoolEnv(
  raw: Json,
  env: Readonly<Record<string, string | undefined>>,
  origin: Map<string, string>,
  issues: ConfigIssue[],
): void {
  for (const id of PROVIDER_IDS) {
    applyPool(
      raw,
      { path: ["providers", id], single: `BYOK_${id.toUpperCase()}_API_KEY` },
      env,
      origin,
      issues,
    );
  }
  const byVariable = connectionsByVariable(raw);
  const named = new Set<string>();
  for (const [variable, value] of Object.entries(env)) {
    const match = CONNECTION_KEY_POOL_VARIABLE.exec(variable);
    if (match === null || value === undefined || value === "") continue;
    const single = variable.slice(0, variable.length - (match[2] === "S" ? 1 : "_WEIGHTS".length));
    const name = connectionNamedBy(byVariable, single, variable, issues);
    if (name !== undefined) named.add(name);
  }
  for (const name of byVariable.values()) {
    if (name.length === 1 && (named.has(name[0]!) || origin.has(`connections.${name[0]!}.apiKey`))) {
      applyPool(
        raw,
        { path: ["connections", name[0]!], single: connectionKeyVariable(name[0]!) },
        env,
        origin,
        issues,
      );
    }
  }
}
