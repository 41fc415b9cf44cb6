/**
 * @module client/create-browser-key-store
 * Keys in IndexedDB, sealed with AES-GCM under a non-extractable CryptoKey kept beside them, with the account
 * they were saved for (docs/client.md).
 */
import { encodeUtf8 } from "./encode-utf8.ts";
import type { KeyStore } from "./key-store.ts";
import { cleanUserKeys, type UserKeys } from "./user-keys.ts";

export interface BrowserKeyStoreOptions {
  /** The IndexedDB database's name (default `byok-keys`); one per user if several share a browser profile. */
  name?: string;
  /**
   * The account (the gateway's user id) whose keys these are. Set, `save` records it with the keys (sealed) and
   * `load` answers `{}` for keys saved for another account or without one. Unset, keys load whoever saved them.
   */
  account?: string;
}

export interface BrowserKeyStore extends KeyStore {
  /** Whom the saved keys were saved for: a user id, `null` without an account, `undefined` when none are saved. */
  savedFor(): Promise<string | null | undefined>;
}

const STORE = "sealed";
const WRAPPING_KEY = "wrapping-key";
const SEALED_KEYS = "keys";

interface SealedKeys {
  /** 1: the sealed JSON is the keys (no account); 2: `{ account, keys }`. */
  version: 1 | 2;
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

function openDatabase(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new Error("IndexedDB is not available here: use another KeyStore"));
      return;
    }
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("The key store's database is blocked by another tab"));
  });
}

/** One transaction; `work` returns a reader of its result, read once the transaction committed. */
function transact<T>(
  database: IDBDatabase,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => () => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const transaction = database.transaction(STORE, mode);
    const read = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(read());
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("The key store's transaction aborted"));
  });
}

function get(database: IDBDatabase, id: string): Promise<unknown> {
  return transact(database, "readonly", (store) => {
    const request = store.get(id);
    return () => request.result as unknown;
  });
}

/** The record under `id`, or `candidate` stored there in the same transaction (safe across tabs). */
function getOrPut<T>(database: IDBDatabase, id: string, candidate: T): Promise<unknown> {
  return transact(database, "readwrite", (store) => {
    let value: unknown = candidate;
    const request = store.get(id);
    request.onsuccess = () => {
      if (request.result === undefined) store.put(candidate, id);
      else value = request.result;
    };
    return () => value;
  });
}

function isSealed(value: unknown): value is SealedKeys {
  const record = value as SealedKeys | null;
  return (
    typeof record === "object" &&
    record !== null &&
    (record.version === 1 || record.version === 2) &&
    record.iv instanceof Uint8Array &&
    record.data instanceof ArrayBuffer
  );
}

export function createBrowserKeyStore(options: BrowserKeyStoreOptions = {}): BrowserKeyStore {
  const name = options.name ?? "byok-keys";
  const account = options.account;
  const additionalData = encodeUtf8(`byok-gateway key store:${name}`);
  let database: Promise<IDBDatabase> | undefined;
  // One operation at a time in this page, so a save never races a clear.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(operation: (database: IDBDatabase) => Promise<T>): Promise<T> => {
    const result = queue.then(async () => {
      database ??= openDatabase(name).then(
        (opened) => {
          // Another tab deleting or upgrading the database: let it, and open again on the next call.
          opened.onversionchange = () => {
            opened.close();
            database = undefined;
          };
          return opened;
        },
        (error: unknown) => {
          database = undefined;
          throw error;
        },
      );
      return operation(await database);
    });
    queue = result.catch(() => undefined);
    return result;
  };

  async function wrappingKey(db: IDBDatabase): Promise<CryptoKey> {
    const existing = await get(db, WRAPPING_KEY);
    if (existing instanceof CryptoKey) return existing;
    const created = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]);
    return (await getOrPut(db, WRAPPING_KEY, created)) as CryptoKey;
  }

  /** The saved keys and their account (`null`: none), or undefined when nothing is saved. */
  const open = () =>
    serial(async (db): Promise<{ account: string | null; keys: UserKeys } | undefined> => {
      const [key, sealed] = [await get(db, WRAPPING_KEY), await get(db, SEALED_KEYS)];
      if (!(key instanceof CryptoKey) || !isSealed(sealed)) return undefined;
      let plaintext: ArrayBuffer;
      try {
        plaintext = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: sealed.iv, additionalData },
          key,
          sealed.data,
        );
      } catch {
        throw new Error("The stored keys could not be decrypted: clear() the store and save them again");
      }
      const parsed: unknown = JSON.parse(new TextDecoder().decode(plaintext));
      if (sealed.version === 1) return { account: null, keys: cleanUserKeys(parsed) };
      const record = parsed as { account?: unknown; keys?: unknown } | null;
      const owner = typeof record?.account === "string" ? record.account : null;
      return { account: owner, keys: cleanUserKeys(record?.keys) };
    });

  return {
    async load() {
      const saved = await open();
      if (saved === undefined || (account !== undefined && saved.account !== account)) return {};
      return saved.keys;
    },
    savedFor: async () => (await open())?.account,
    save: (keys) =>
      serial(async (db) => {
        const key = await wrappingKey(db);
        const iv = crypto.getRandomValues(new Uint8Array(12));
        const plaintext = encodeUtf8(JSON.stringify({ account: account ?? null, keys: cleanUserKeys(keys) }));
        const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, plaintext);
        const sealed: SealedKeys = { version: 2, iv, data };
        await transact(db, "readwrite", (store) => {
          store.put(sealed, SEALED_KEYS);
          return () => undefined;
        });
      }),
    clear: () =>
      serial((db) =>
        transact(db, "readwrite", (store) => {
          store.clear();
          return () => undefined;
        }),
      ),
  };
}
