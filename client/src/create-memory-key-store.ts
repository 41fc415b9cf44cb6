/**
 * @module client/create-memory-key-store
 * A key store that keeps keys in this page's memory only (gone on reload).
 */
import type { KeyStore, UserKeys } from "./types.ts";

export function createMemoryKeyStore(): KeyStore {
  let keys: UserKeys = {};
  return {
    load: async () => ({ ...keys }),
    save: async (next) => {
      keys = { ...next };
    },
    clear: async () => {
      keys = {};
    },
  };
}
