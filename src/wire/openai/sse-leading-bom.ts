/**
 * @module wire/openai/sse-leading-bom
 * The one UTF-8 byte order mark an event stream may start with (WHATWG HTML, "Parsing an event stream":
 * ignored by every SSE parser): removed from a stream's first bytes, also when chunks cut it.
 */

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface LeadingBom {
  /**
   * The chunk without the stream's leading BOM, once that is decided; null while the bytes so far are
   * only the start of one (held here, at most two bytes).
   */
  strip(chunk: Buffer): Buffer | null;
  /** At the stream's end: the bytes held as a possible start of a BOM that never completed (usually none). */
  rest(): Buffer;
}

export function createLeadingBom(): LeadingBom {
  let decided = false;
  let held: Buffer = Buffer.alloc(0);
  return {
    strip(chunk) {
      if (decided) return chunk;
      const bytes = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      const compared = Math.min(bytes.length, BOM.length);
      if (bytes.subarray(0, compared).equals(BOM.subarray(0, compared))) {
        if (bytes.length < BOM.length) {
          held = Buffer.from(bytes); // a copy: never a view keeping the chunk alive
          return null;
        }
        decided = true;
        held = Buffer.alloc(0);
        return bytes.subarray(BOM.length);
      }
      decided = true;
      held = Buffer.alloc(0);
      return bytes;
    },
    rest() {
      decided = true;
      const bytes = held;
      held = Buffer.alloc(0);
      return bytes;
    },
  };
}
