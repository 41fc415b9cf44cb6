/**
 * @module routing/describe-unknown-model
 * The `model_not_found` message for a name that matches nothing: what would have matched on this ingress
 * (bounded), the direct form when allowed, and the setting that would make the name work.
 */

import type { FeatureConfig } from "../config/feature-schema.ts";
import type { Ingress } from "../config/routing-schema.ts";
import { isProviderId } from "../keys/provider-ids.ts";
import { type Operation, type ProviderRegistry, plainTarget } from "../providers/index.ts";
import type { ModelName } from "./parse-model-name.ts";

/** What of the routing table the message reads. */
export interface NamingTable {
  readonly features: Readonly<Record<string, Pick<FeatureConfig, "aliases">>>;
  readonly allowDirect: boolean;
  readonly registry: ProviderRegistry;
}

/** Names listed at most; the rest are counted ("and N more"). */
export const LISTED_NAMES = 20;
/** The longest stretch of the client's own name echoed back. */
const ECHOED_CHARACTERS = 80;

function echo(value: string): string {
  return value.length <= ECHOED_CHARACTERS ? value : `${value.slice(0, ECHOED_CHARACTERS)}…`;
}

function directProviders(table: NamingTable, operation: Operation): string[] {
  const ids: string[] = [];
  // Direct naming is `<provider id>/<model>`: the adapters of operator-only kinds (azure, …) are not named so.
  for (const [id, adapter] of table.registry)
    if (isProviderId(id) && adapter.pathFor(operation, plainTarget("")) !== undefined) ids.push(id);
  return ids;
}

/**
 * `operation` is what the ingress routes as; `serving(feature)` says whether a feature's routes can serve
 * it (the caller answers with the resolver's own rules).
 */
export function describeUnknownModel(
  table: NamingTable,
  name: Exclude<ModelName, { kind: "invalid" }>,
  ingress: Ingress | null,
  operation: Operation,
  serving: (feature: string) => boolean,
): string {
  const shown = echo(name.value);
  const sentences: string[] = [];
  if (name.kind === "direct") {
    sentences.push(`\`${shown}\` is not an alias of this app, and direct provider/model calls are disabled.`);
  } else {
    sentences.push(`The model \`${shown}\` is not a feature or alias of this app.`);
  }
  const names: string[] = [];
  for (const feature of Object.keys(table.features)) {
    if (!serving(feature)) continue;
    names.push(feature);
    for (const alias of table.features[feature]!.aliases) names.push(`${alias} (alias of ${feature})`);
  }
  const where = ingress === null ? "" : ` on ${ingress === "listen" ? "/v1/listen" : `the ${ingress} API`}`;
  if (names.length > 0) {
    const listed = names.slice(0, LISTED_NAMES).join(", ");
    const more = names.length > LISTED_NAMES ? ` and ${names.length - LISTED_NAMES} more` : "";
    sentences.push(`Names that serve this request${where}: ${listed}${more}.`);
  } else {
    sentences.push(`No feature serves this request${where}.`);
  }
  if (table.allowDirect) {
    const providers = directProviders(table, operation);
    if (providers.length > 0) {
      sentences.push(`Or name provider/model on your own key (provider: ${providers.join(", ")}).`);
    }
  }
  const settings = ["`features.<feature>.aliases`"];
  if (ingress !== null) settings.push(`\`routing.defaultFeatures.${ingress}\``);
  sentences.push(`To accept this name, the app's operator lists it in ${settings.join(" or sets ")}.`);
  return sentences.join(" ");
}
