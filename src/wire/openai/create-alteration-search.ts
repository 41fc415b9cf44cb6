/**
 * @module wire/openai/create-alteration-search
 * Where in a chunk the first bytes lie that may make an event be dropped or rewritten (error text, a `\u`
 * escape, a key in play whole or masked, a usage object to strip): each needle searched over the chunk once, resumed only
 * past an event that held it, so a tap clears the other events without searching each of them again.
 */

const QUOTE = 0x22;
/**
 * `"error"`, found by its tail: a native search for a needle that opens with a quote stops at every quote
 * of a JSON chunk (about ten times slower over a chunk of stream events than one opening with `r`).
 */
const ERROR: AlterationNeedle = {
  bytes: Buffer.from('rror"'),
  back: 2,
  confirm: (chunk, at) => at >= 2 && chunk[at - 2] === QUOTE && chunk[at - 1] === 0x65, // `"e`
};
const ESCAPE: AlterationNeedle = { bytes: Buffer.from("\\u") };

/**
 * A byte string to find; `confirm` rejects an occurrence (`at`) that does not count; `back`: how many
 * bytes before `bytes` the occurrence starts (what is searched is its tail).
 */
export interface AlterationNeedle {
  readonly bytes: Buffer;
  readonly confirm?: (chunk: Buffer, at: number) => boolean;
  readonly back?: number;
}

export interface AlterationSearchOptions {
  /** Whether the tap redacts: error text, `\u` escapes and keys in play are then searched for. */
  readonly redacts: boolean;
  /**
   * Whether bytes quote a key in play, verbatim or in the masked form providers echo (part of the one
   * search over the chunk): a chunk that does is read event by event from its start.
   */
  readonly quotesKey?: (bytes: Uint8Array) => boolean;
  /** What else may alter an event (e.g. a usage object the client did not ask for). */
  readonly needles?: readonly AlterationNeedle[];
}

/**
 * The search over one chunk: the offset at or after `from` where an event may be altered, or -1 when
 * nowhere (asked with `from` never decreasing).
 */
export type AlterationSearch = (chunk: Buffer) => (from: number) => number;

export function createAlterationSearch(options: AlterationSearchOptions): AlterationSearch {
  const needles: AlterationNeedle[] = [
    ...(options.redacts ? [ERROR, ESCAPE] : []),
    ...(options.needles ?? []),
  ];
  const quotesKey = options.redacts ? options.quotesKey : undefined;

  const search = (chunk: Buffer, needle: AlterationNeedle, from: number): number => {
    const back = needle.back ?? 0;
    let at = chunk.indexOf(needle.bytes, from + back);
    if (needle.confirm !== undefined)
      while (at !== -1 && !needle.confirm(chunk, at)) at = chunk.indexOf(needle.bytes, at + 1);
    return at === -1 ? -1 : at - back;
  };

  return (chunk) => {
    if (quotesKey?.(chunk)) return (from) => from;
    if (needles.length === 0) return () => -1;
    /** Per needle: its next occurrence (-1: none left; -2: not searched yet). */
    const found = needles.map(() => -2);
    return (from) => {
      let first = -1;
      for (let index = 0; index < needles.length; index++) {
        let at = found[index]!;
        if (at === -1) continue;
        if (at < from) {
          at = search(chunk, needles[index]!, from);
          found[index] = at;
          if (at === -1) continue;
        }
        if (first === -1 || at < first) first = at;
      }
      return first;
    };
  };
}
