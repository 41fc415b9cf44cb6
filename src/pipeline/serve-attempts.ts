/**
 * @module pipeline/serve-attempts
 * One served path over its planned routes: each attempt serves one route with its own adapter (a plan may
 * mix dialects), under the feature's fallback and retry policy and the circuit breakers (attempt-routes.ts).
 */
import { attemptPolicyOf, type Route } from "../routing/index.ts";
import { attemptRoutes } from "./attempt-routes.ts";
import type { PipelineKit } from "./create-pipeline-kit.ts";
import type { ModelCall } from "./pipeline-types.ts";
import { adapterOf, type PlannedCall, type RoutedCall } from "./route-call.ts";

export function serveAttempts<T extends { readonly headers: Readonly<Record<string, string>> }>(
  kit: PipelineKit,
  call: ModelCall,
  planned: PlannedCall,
  started: number,
  serve: (routed: RoutedCall) => Promise<T>,
  replayable = true,
): Promise<T> {
  const { table } = kit;
  const first = planned.route;
  const feature = first.feature === null ? null : (table.features[first.feature] ?? null);
  return attemptRoutes(
    planned.routes,
    (route: Route) => serve(route === first ? planned : { route, adapter: adapterOf(table, route) }),
    {
      breakers: kit.breakers,
      policy: attemptPolicyOf(table, feature),
      started,
      now: kit.now,
      signal: call.signal,
      replayable,
      onAttempt: kit.onAttempt,
      onRoute: (route) => call.openCall?.routed(route.source),
    },
  );
}
