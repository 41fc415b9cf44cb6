/**
 * @module wire/redact-json-strings
 * Redaction of a parsed JSON value: every decoded string (object keys included) goes through the
 * redactor, so a key hidden by JSON escapes (`\u0065rror`, `sk-\u0061bc…`) is found as the client's
 * parser will read it. With `redactError`, the subtree under an `error` member (not null), at any depth, is
 * provider error text and goes through it instead. The value's depth is bounded by its parse (parse-upstream-json).
 */

export interface RedactedJson {
  readonly value: unknown;
  /** Whether any string changed: only then is the value re-serialized. */
  readonly changed: boolean;
}

export function redactJsonStrings(
  value: unknown,
  redact: (text: string) => string,
  redactError: (text: string) => string = redact,
): RedactedJson {
  let changed = false;
  const text = (input: string, redactor: (text: string) => string): string => {
    const clean = redactor(input);
    if (clean !== input) changed = true;
    return clean;
  };
  const walk = (node: unknown, redactor: (text: string) => string): unknown => {
    if (typeof node === "string") return text(node, redactor);
    if (Array.isArray(node)) return node.map((item) => walk(item, redactor));
    if (typeof node !== "object" || node === null) return node;
    // Null prototype: a `__proto__` member stays a member.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [name, member] of Object.entries(node))
      out[text(name, redactor)] = walk(member, name === "error" && member !== null ? redactError : redactor);
    return out;
  };
  const clean = walk(value, redact);
  return { value: clean, changed };
}
