/**
 * @module http/plugins/check-json-depth
 * How deep a JSON text nests, checked in one pass without recursion (strings and escapes skipped), so a
 * body nested past the limit is refused before any parser or serializer walks it.
 */

const OPEN_BRACKET = 0x5b; // [
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACKET = 0x5d; // ]
const CLOSE_BRACE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** True when no array or object in `text` nests deeper than `maxDepth` (a top-level object is depth 1). */
export function checkJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      depth++;
      if (depth > maxDepth) return false;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) depth--;
  }
  return true;
}
