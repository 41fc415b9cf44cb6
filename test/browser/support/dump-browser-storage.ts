/**
 * @module test/browser/support/dump-browser-storage
 * Everything a page of this origin keeps: every IndexedDB record (bytes as latin1 text, CryptoKeys
 * described), localStorage, sessionStorage and cookies, as one JSON-able value to search.
 */
import type { Page } from "playwright-core";

export interface StorageDump {
  readonly indexedDb: Array<{ database: string; store: string; key: string; value: unknown }>;
  readonly localStorage: Record<string, string>;
  readonly sessionStorage: Record<string, string>;
  readonly cookies: string;
}

const DUMP = `(async () => {
  const done = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const describe = (value) => {
    if (value instanceof CryptoKey) {
      return { cryptoKey: { type: value.type, extractable: value.extractable, algorithm: value.algorithm.name, usages: value.usages } };
    }
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      return { bytes: Array.from(bytes, (byte) => String.fromCharCode(byte)).join("") };
    }
    if (Array.isArray(value)) return value.map(describe);
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, describe(inner)]));
    }
    return value;
  };
  const indexedDb = [];
  for (const info of await indexedDB.databases()) {
    const db = await done(indexedDB.open(info.name));
    for (const name of db.objectStoreNames) {
      const store = db.transaction(name).objectStore(name);
      const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
      values.forEach((value, index) => indexedDb.push({ database: info.name, store: name, key: String(keys[index]), value: describe(value) }));
    }
    db.close();
  }
  const entries = (storage) => Object.fromEntries(Array.from({ length: storage.length }, (_, i) => [storage.key(i), storage.getItem(storage.key(i))]));
  return { indexedDb, localStorage: entries(localStorage), sessionStorage: entries(sessionStorage), cookies: document.cookie };
})()`;

export function dumpBrowserStorage(page: Page): Promise<StorageDump> {
  return page.evaluate<StorageDump>(DUMP);
}

/** The forms a stored key could take if kept readable: as typed, hex and base64 of its bytes. */
export function readableForms(key: string): string[] {
  const bytes = Buffer.from(key, "utf8");
  return [key, bytes.toString("hex"), bytes.toString("base64")];
}
