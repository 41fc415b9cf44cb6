/**
 * @module client/settings/load-account-keys
 * The saved keys the settings component may show and send under a token: those saved for the token's account
 * (the gateway says whose token it is), never another account's or keys saved without one.
 */
import { type BrowserKeyStore, createBrowserKeyStore } from "../create-browser-key-store.ts";
import type { ByokClient } from "../create-byok-client.ts";
import type { KeyStore } from "../key-store.ts";
import type { UserKeys } from "../user-keys.ts";

/** Why keys saved on the device were not loaded: saved for another account, or without an account. */
export type WithheldKeys = "another_account" | "no_account";

export interface AccountKeys {
  readonly store: KeyStore;
  readonly keys: UserKeys;
  readonly withheld: WithheldKeys | null;
}

export interface AccountStore {
  readonly store: BrowserKeyStore;
  readonly account: string;
}

/** The default store, scoped to the account of `client`'s token (`GET /v1/usage`, sent without keys, names it). */
export async function openAccountStore(client: ByokClient, name: string): Promise<AccountStore> {
  const { user } = await client.usage();
  if (typeof user !== "string" || user === "") throw new Error("The gateway did not say whose token this is");
  return { store: createBrowserKeyStore({ name, account: user }), account: user };
}

/** Loads `store`; for an account-scoped store, also says when saved keys were withheld, and why. */
export async function loadAccountKeys(store: KeyStore, account: string | null): Promise<AccountKeys> {
  const keys = await store.load();
  if (account === null || !("savedFor" in store)) return { store, keys, withheld: null };
  const owner = await (store as BrowserKeyStore).savedFor();
  const withheld =
    owner === undefined || owner === account ? null : owner === null ? "no_account" : "another_account";
  return { store, keys, withheld };
}
