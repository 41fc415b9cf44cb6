/**
 * @module keys/secret-key
 * The value type every raw key lives in from intake on: printing, JSON and inspection all redact it.
 */
import { hash } from "node:crypto";

const REDACTED = "[redacted]";

export class SecretKey {
  readonly #value: string;
  #fingerprint: string | undefined;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value; call only where the key is written to its own provider's auth header. */
  reveal(): string {
    return this.#value;
  }

  /** The client fingerprint: lowercase hex SHA-256 of the UTF-8 key (computed once). */
  fingerprint(): string {
    this.#fingerprint ??= hash("sha256", this.#value, "hex"); // one-shot: UTF-8, no Hash object
    return this.#fingerprint;
  }

  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `SecretKey(${REDACTED})`;
  }
}
