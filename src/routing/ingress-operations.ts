/**
 * @module routing/ingress-operations
 * The operation each ingress's requests route as (`/v1/responses` and `/v1/messages` are chat routes).
 */
import type { Ingress } from "../config/routing-schema.ts";
import type { Operation } from "../providers/index.ts";

export const INGRESS_OPERATIONS: Readonly<Record<Ingress, Operation>> = {
  chat: "chat",
  responses: "chat",
  messages: "chat",
  embeddings: "embeddings",
  listen: "stt",
};
