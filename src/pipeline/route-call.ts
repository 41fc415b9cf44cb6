/**
 * @module pipeline/route-call
 * The routing step of every served path: the request's `model` → the routes it may be attempted on (the
 * first with its adapter), or the routing error (with `param: "model"`).
 */
import type { Capability } from "../config/feature-schema.ts";
import type { Ingress } from "../config/routing-schema.ts";
import { GatewayError, isGatewayError } from "../errors/gateway-error.ts";
import type { Operation, ProviderAdapter } from "../providers/index.ts";
import { type Route, type RoutingTable, resolveRoutePlan } from "../routing/index.ts";
import type { ModelCall } from "./pipeline-types.ts";
import { refuseKeyAsModel } from "./refuse-key-as-model.ts";

export interface RoutedCall {
  readonly route: Route;
  readonly adapter: ProviderAdapter;
}

/** The first planned route with its adapter, and every route the attempt loop may move on to. */
export interface PlannedCall extends RoutedCall {
  readonly routes: readonly Route[];
}

export type RouteCall = (
  call: ModelCall,
  operation: Operation,
  model: unknown,
  needs: readonly Capability[],
  ingress?: Ingress,
) => PlannedCall;

/**
 * Resolves the routes for a call (docs/features-and-routing.md); `ingress` (where the request arrived)
 * picks the default feature for names that match nothing. A live or prerecorded listen request may omit
 * `model` (Deepgram's API makes it optional): its default feature serves it; elsewhere `model` is required.
 */
export function createRouteCall(table: RoutingTable): RouteCall {
  return (call, operation, model, needs, ingress) => {
    const fallback = ingress === "listen" ? table.defaultFeatures.listen : undefined;
    const named = (model === undefined || model === null || model === "") && fallback ? fallback : model;
    if (typeof named !== "string" || named === "") {
      throw new GatewayError("invalid_request", {
        message: "`model` is required: a feature name, or provider/model on your own key.",
        param: "model",
      });
    }
    refuseKeyAsModel(named, call.byok);
    const decision = resolveRoutePlan(
      table,
      { model: named, operation, needs, ...(ingress === undefined ? {} : { ingress }) },
      call.byok,
    );
    if (!decision.ok) throw new GatewayError(decision.error, { message: decision.message, param: "model" });
    const route = decision.routes[0]!;
    call.openCall?.routed(route.source);
    // Routed to the user's keys after they changed (create-open-calls.ts): the cut's error, nothing sent.
    if (call.signal.aborted && isGatewayError(call.signal.reason)) throw call.signal.reason;
    return { route, adapter: adapterOf(table, route), routes: decision.routes };
  };
}

/** The adapter serving a route (the registry has every adapter routing names). */
export function adapterOf(table: RoutingTable, route: Route): ProviderAdapter {
  const adapter = table.registry.get(route.provider);
  if (adapter === undefined) throw new GatewayError("internal_error");
  return adapter;
}
