/**
 * @module client/create-browser-key-store
 * Keys in IndexedDB, encrypted with a non-extractable AES-GCM CryptoKey that IndexedDB also holds.
 */
import type { KeyStore, UserKeys } from "./types.ts";

const STORE = "byok";

function request<T>(operation: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

export function createBrowserKeyStore(options: { name?: string } = {}): KeyStore {
  const name = options.name ?? "byok-keys";
  const open = () => {
    const opening = indexedDB.open(name, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    return request(opening);
  };
  const get = async (id: string): Promise<unknown> => {
    const db = await open();
    try {
      return await request(db.transaction(STORE).objectStore(STORE).get(id));
    } finally {
      db.close();
    }
  };
  const put = async (id: string, value: unknown) => {
    const db = await open();
    try {
      await request(db.transaction(STORE, "readwrite").objectStore(STORE).put(value, id));
    } finally {
      db.close();
    }
  };
  const cryptoKey = async (): Promise<CryptoKey> => {
    const existing = await get("key");
    if (existing instanceof CryptoKey) return existing;
    const created = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]);
    await put("key", created);
    return created;
  };
  return {
    async load() {
      const sealed = await get("keys");
      if (!(sealed instanceof Object) || !("iv" in sealed) || !("data" in sealed)) return {};
      const { iv, data } = sealed as { iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer };
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, await cryptoKey(), data);
      return JSON.parse(new TextDecoder().decode(plain)) as UserKeys;
    },
    async save(keys) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const plain = new TextEncoder().encode(JSON.stringify(keys));
      const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await cryptoKey(), plain);
      await put("keys", { iv, data });
    },
    async clear() {
      const db = await open();
      try {
        await request(db.transaction(STORE, "readwrite").objectStore(STORE).delete("keys"));
      } finally {
        db.close();
      }
    },
  };
}
