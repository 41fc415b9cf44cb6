/**
 * @module pipeline/list-models
 * GET /v1/models: the features this user can run right now (routing would succeed) and their aliases, and
 * the direct `provider/model` names their own keys unlock, in OpenAI's list shape.
 */
import type { ProviderId } from "../keys/provider-ids.ts";
import type { Operation } from "../providers/index.ts";
import { type RoutingTable, resolveRoute } from "../routing/index.ts";
import type { ByokContext } from "../validation/byok-context.ts";

export interface ModelEntry {
  readonly id: string;
  readonly object: "model";
  readonly created: number;
  readonly owned_by: string;
  /** The feature this name is served as (on feature and alias entries; the spec's Model allows extra fields). */
  readonly feature?: string;
}

export interface ModelList {
  readonly object: "list";
  readonly data: readonly ModelEntry[];
}

const OPERATIONS: readonly Operation[] = ["chat", "embeddings", "stt"];

export function listModels(table: RoutingTable, byok: ByokContext, created: number): ModelList {
  const data: ModelEntry[] = [];
  for (const [name, feature] of Object.entries(table.features)) {
    const servable = OPERATIONS.some(
      (operation) => resolveRoute(table, { model: name, operation, needs: [] }, byok).ok,
    );
    if (!servable) continue;
    for (const id of [name, ...feature.aliases]) {
      data.push({ id, object: "model", created, owned_by: "byok-gateway", feature: name });
    }
  }
  if (table.allowDirect) {
    const direct = new Set<string>();
    for (const feature of Object.values(table.features)) {
      for (const route of [...feature.byokRoutes, ...feature.routes]) {
        if (byok.keys[route.provider as ProviderId] !== undefined && table.registry.has(route.provider)) {
          direct.add(`${route.provider}/${route.model}`);
        }
      }
    }
    if (byok.keys.custom !== undefined && byok.custom?.model) direct.add(`custom/${byok.custom.model}`);
    for (const id of direct)
      data.push({ id, object: "model", created, owned_by: id.slice(0, id.indexOf("/")) });
  }
  return { object: "list", data };
}
