/**
 * @module routing/check-default-features
 * At start: each `routing.defaultFeatures.<ingress>` names a feature whose routes can serve that ingress.
 */
import type { ConfigIssue } from "../config/config-error.ts";
import { INGRESSES } from "../config/routing-schema.ts";
import { noByokContext } from "../validation/byok-context.ts";
import { INGRESS_OPERATIONS } from "./ingress-operations.ts";
import { featureOperations, type RoutingTable } from "./resolve-route.ts";

/** The problems found (none: the defaults are sound); a missing feature is the schema's to report. */
export function checkDefaultFeatures(table: RoutingTable): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const nobody = noByokContext("");
  for (const ingress of INGRESSES) {
    const feature = table.defaultFeatures[ingress];
    if (feature === undefined || !Object.hasOwn(table.features, feature)) continue;
    const operation = INGRESS_OPERATIONS[ingress];
    if (!featureOperations(table, feature, nobody).includes(operation)) {
      issues.push({
        path: `routing.defaultFeatures.${ingress}`,
        message: `feature "${feature}" has no route that can serve ${operation} (the ${ingress} ingress)`,
      });
    }
  }
  return issues;
}
