/**
 * @module pipeline/retrieve-model
 * GET /v1/models/{model}: the one entry of this user's model list with that id (the very object the list
 * holds), or `model_not_found` (404, `param: "model"`) for a name the list does not hold.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { ModelEntry, ModelList } from "./list-models.ts";

/** The longest stretch of the client's own name echoed back in the message. */
const ECHOED_CHARACTERS = 80;

export function retrieveModel(list: ModelList, id: string): ModelEntry {
  const entry = list.data.find((model) => model.id === id);
  if (entry !== undefined) return entry;
  const shown = id.length <= ECHOED_CHARACTERS ? id : `${id.slice(0, ECHOED_CHARACTERS)}…`;
  throw new GatewayError("model_not_found", {
    message: `The model \`${shown}\` does not exist or cannot be used with the keys presented; GET /v1/models lists those that can.`,
    param: "model",
  });
}
