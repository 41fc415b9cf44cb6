/**
 * @module A real DNS server on loopback (dns2, UDP) answering with TTL 0 from a script, and a
 * resolver of the `dns.promises.lookup` shape that queries it for A and AAAA through node:dns.
 */
import { Resolver } from "node:dns/promises";
import { createServer, Packet } from "dns2";
import type { EgressResolver, ResolvedAddress } from "../../../src/egress/index.ts";

export interface LoopbackDnsServer {
  readonly port: number;
  /** A queries received per name. */
  readonly queries: (name: string) => number;
  /** A resolver that asks only this server (A and AAAA), answering like lookup(name, {all: true}). */
  readonly resolver: EgressResolver;
  close(): Promise<void>;
}

/** `answer(name, index)` gives the A records for the index-th A query of `name` (from 0). */
export async function startDnsServer(
  answer: (name: string, index: number) => readonly string[],
): Promise<LoopbackDnsServer> {
  const counts = new Map<string, number>();
  const server = createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      for (const question of request.questions) {
        if (question.type !== Packet.TYPE.A) continue; // AAAA and others: no data
        const name = question.name.toLowerCase();
        const index = counts.get(name) ?? 0;
        counts.set(name, index + 1);
        for (const address of answer(name, index)) {
          response.answers.push(
            new Packet.Resource({
              name: question.name,
              type: Packet.TYPE.A,
              class: Packet.CLASS.IN,
              ttl: 0,
              address,
            }),
          );
        }
      }
      void send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: "127.0.0.1" } });
  const port = addresses.udp?.port ?? 0;
  const dns = new Resolver({ timeout: 2000, tries: 1 });
  dns.setServers([`127.0.0.1:${port}`]);
  const resolver: EgressResolver = async (hostname) => {
    const [v4, v6] = await Promise.allSettled([dns.resolve4(hostname), dns.resolve6(hostname)]);
    const found: ResolvedAddress[] = [
      ...(v4.status === "fulfilled" ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === "fulfilled" ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (found.length === 0 && v4.status === "rejected") throw v4.reason;
    return found;
  };
  return {
    port,
    queries: (name) => counts.get(name) ?? 0,
    resolver,
    close: () => server.close(),
  };
}
