/**
 * @module test/client/kit-page
 * The page script of the Chromium kit test: imports the built kit and offers the checks the test runs in the page.
 */
import * as kit from "/kit/index.js";

function openExisting(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Every record of every object store of every database this origin holds. */
async function everyRecord() {
  const records = [];
  for (const info of await indexedDB.databases()) {
    const database = await openExisting(info.name);
    for (const storeName of database.objectStoreNames) {
      const store = database.transaction(storeName, "readonly").objectStore(storeName);
      const [keys, values] = await Promise.all(
        [store.getAllKeys(), store.getAll()].map(
          (request) =>
            new Promise((resolve, reject) => {
              request.onsuccess = () => resolve(request.result);
              request.onerror = () => reject(request.error);
            }),
        ),
      );
      keys.forEach((key, index) => {
        records.push({ database: info.name, store: storeName, key: String(key), value: values[index] });
      });
    }
    database.close();
  }
  return records;
}

function containsBytes(haystack, needle) {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let index = 0; index < needle.length; index++) {
      if (haystack[start + index] !== needle[index]) continue outer;
    }
    return true;
  }
  return false;
}

/** True when `secret` can be read anywhere in `value`: a string, bytes, or nested inside either. */
function reveals(value, secret) {
  if (typeof value === "string") return value.includes(secret);
  if (value instanceof ArrayBuffer)
    return containsBytes(new Uint8Array(value), new TextEncoder().encode(secret));
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return containsBytes(bytes, new TextEncoder().encode(secret));
  }
  if (value instanceof CryptoKey) return false;
  if (typeof value === "object" && value !== null)
    return Object.values(value).some((item) => reveals(item, secret));
  return false;
}

window.kitPage = {
  async fingerprints(vectors) {
    return Promise.all(
      vectors.map((vector) =>
        kit.fingerprint(vector.key).then(
          (value) => value,
          (error) => (error instanceof TypeError ? null : `unexpected: ${error}`),
        ),
      ),
    );
  },
  hasSubtle: () => Boolean(globalThis.crypto?.subtle),
  save: (name, keys) => kit.createBrowserKeyStore({ name }).save(keys),
  load: (name) => kit.createBrowserKeyStore({ name }).load(),
  clear: (name) => kit.createBrowserKeyStore({ name }).clear(),
  saveFor: (name, account, keys) => kit.createBrowserKeyStore({ name, account }).save(keys),
  loadFor: (name, account) => kit.createBrowserKeyStore({ name, account }).load(),
  savedFor: (name) => kit.createBrowserKeyStore({ name }).savedFor(),
  /** Seals `keys` as an earlier kit did (version 1: the keys alone, no account) under the store's own key. */
  async saveAsVersion1(name, keys) {
    await kit.createBrowserKeyStore({ name }).save({});
    const database = await openExisting(name);
    const read = (id) =>
      new Promise((resolve, reject) => {
        const request = database.transaction("sealed", "readonly").objectStore("sealed").get(id);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    const key = await read("wrapping-key");
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const additionalData = new TextEncoder().encode(`byok-gateway key store:${name}`);
    const plaintext = new TextEncoder().encode(JSON.stringify(keys));
    const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, plaintext);
    await new Promise((resolve, reject) => {
      const transaction = database.transaction("sealed", "readwrite");
      transaction.objectStore("sealed").put({ version: 1, iv, data }, "keys");
      transaction.oncomplete = resolve;
      transaction.onerror = () => reject(transaction.error);
    });
    database.close();
  },
  /** "deleted", or "blocked" when an open connection of the kit did not step aside. */
  deleteDatabase: (name) =>
    new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve("deleted");
      request.onblocked = () => resolve("blocked");
      request.onerror = () => reject(request.error);
    }),
  async inspect(secrets) {
    const records = await everyRecord();
    const keys = records.map((record) => record.value).filter((value) => value instanceof CryptoKey);
    const exports = await Promise.all(
      keys.map((key) =>
        crypto.subtle.exportKey("raw", key).then(
          () => "exported",
          () => "refused",
        ),
      ),
    );
    return {
      records: records.map((record) => `${record.database}/${record.store}/${record.key}`).sort(),
      cryptoKeys: keys.map((key) => ({
        algorithm: key.algorithm.name,
        extractable: key.extractable,
        usages: [...key.usages].sort(),
      })),
      exports,
      revealed: secrets.filter((secret) => records.some((record) => reveals(record.value, secret))),
      webStorage: localStorage.length + sessionStorage.length,
    };
  },
};
document.body.dataset.ready = "true";
