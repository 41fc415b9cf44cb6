/**
 * @module The default resolver: the system's getaddrinfo through `dns.promises.lookup` with every
 * A and AAAA answer in resolver order.
 */
import { lookup } from "node:dns/promises";

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** The shape of `dns.promises.lookup(name, {all: true})`; rejects with an error carrying `code`. */
export type EgressResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: EgressResolver = (hostname) =>
  lookup(hostname, { all: true, order: "verbatim" });
