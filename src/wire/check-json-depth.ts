/**
 * @module wire/check-json-depth
 * How deep a JSON text nests, checked in one pass without recursion, so a text nested past the limit (a
 * client's body, an upstream's answer or stream event) is refused before any parser or serializer walks
 * it. Strings are skipped with `indexOf` (they are most of a chat body); a quote's escaping is decided by
 * the backslashes before it, each looked at once: linear.
 */

const OPEN_BRACKET = 0x5b; // [
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACKET = 0x5d; // ]
const CLOSE_BRACE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** The index of the quote that closes the string opened at `open`, or -1 when it is unterminated. */
function stringEnd(text: string, open: number): number {
  let at = open + 1;
  for (;;) {
    at = text.indexOf('"', at);
    if (at === -1) return -1;
    let backslashes = 0;
    for (let before = at - 1; before > open && text.charCodeAt(before) === BACKSLASH; before--) backslashes++;
    if (backslashes % 2 === 0) return at;
    at++;
  }
}

/** True when no array or object in `text` nests deeper than `maxDepth` (a top-level object is depth 1). */
export function checkJsonDepth(text: string, maxDepth: number): boolean {
  // Nesting past maxDepth takes more than maxDepth opening characters: a shorter text cannot.
  if (text.length <= maxDepth) return true;
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = stringEnd(text, index);
      if (index === -1) return true; // unterminated: the parser refuses it as invalid JSON
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      depth++;
      if (depth > maxDepth) return false;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) depth--;
  }
  return true;
}
