/**
 * @module pipeline/upstream-path
 * Where a routed call goes under its base URL: the adapter's path for the operation, given the route's
 * model and its connection's settings (Azure's deployment and api-version).
 */
import { GatewayError } from "../errors/gateway-error.ts";
import { type Operation, type ProviderAdapter, plainTarget } from "../providers/index.ts";
import type { Route, RoutingTable } from "../routing/index.ts";

export function upstreamPath(
  table: RoutingTable,
  routed: { readonly route: Route; readonly adapter: ProviderAdapter },
  operation: Operation,
): string {
  const { route, adapter } = routed;
  const connection = table.connections?.get(route.connection);
  const path = adapter.pathFor(
    operation,
    connection === undefined
      ? plainTarget(route.model)
      : { model: route.model, apiVersion: connection.apiVersion, deployments: connection.deployments },
  );
  // Routing only picks routes whose adapter serves the operation.
  if (path === undefined) throw new GatewayError("internal_error");
  return path;
}
