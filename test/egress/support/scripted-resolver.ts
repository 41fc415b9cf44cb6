/**
 * @module An injected resolver for tests: answers from a script (one answer set per call, the last
 * repeating) and counts its calls, so a test can prove the guarded lookup ran.
 */
import type { EgressResolver, ResolvedAddress } from "../../../src/egress/index.ts";

export type ScriptedAnswer = readonly string[] | Error;

export interface ScriptedResolver {
  readonly resolve: EgressResolver;
  /** Calls per host name. */
  readonly calls: (hostname?: string) => number;
}

export function scriptedResolver(
  script: Readonly<Record<string, readonly ScriptedAnswer[]>>,
): ScriptedResolver {
  const counts = new Map<string, number>();
  const resolve: EgressResolver = async (hostname) => {
    const index = counts.get(hostname) ?? 0;
    counts.set(hostname, index + 1);
    const answers = script[hostname];
    const answer = answers?.[Math.min(index, answers.length - 1)];
    if (answer === undefined)
      throw Object.assign(new Error(`no script for ${hostname}`), { code: "ENOTFOUND" });
    if (answer instanceof Error) throw answer;
    return answer.map((address): ResolvedAddress => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return {
    resolve,
    calls: (hostname) =>
      hostname === undefined
        ? [...counts.values()].reduce((sum, count) => sum + count, 0)
        : (counts.get(hostname) ?? 0),
  };
}

export function resolverError(code: string): Error {
  return Object.assign(new Error(`resolver failed: ${code}`), { code });
}
