/**
 * @module client/key-store
 * Where an app keeps a user's raw keys on the device, and the in-memory store (tests, server-rendered apps).
 */
import { cleanUserKeys, type UserKeys } from "./user-keys.ts";

export interface KeyStore {
  /** The saved keys, or `{}` when none are. */
  load(): Promise<UserKeys>;
  /** Replaces the saved keys (empty values dropped). */
  save(keys: UserKeys): Promise<void>;
  clear(): Promise<void>;
}

/** Keys held in this page's memory only: gone on reload. */
export function createMemoryKeyStore(initial: UserKeys = {}): KeyStore {
  let current = cleanUserKeys(initial);
  return {
    async load() {
      return { ...current };
    },
    async save(keys) {
      current = cleanUserKeys(keys);
    },
    async clear() {
      current = {};
    },
  };
}
