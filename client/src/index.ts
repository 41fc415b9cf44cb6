/**
 * @module client/index
 * The browser-safe kit (`byok-gateway/client`): fingerprints, headers, the gateway client and key stores.
 */
export { ByokClientError } from "./byok-client-error.ts";
export { createBrowserKeyStore } from "./create-browser-key-store.ts";
export { type ByokClient, type ByokClientOptions, createByokClient } from "./create-byok-client.ts";
export { createMemoryKeyStore } from "./create-memory-key-store.ts";
export { fingerprint } from "./fingerprint.ts";
export { headers } from "./headers.ts";
export type * from "./types.ts";
