/**
 * @module wire/deepgram/is-close-stream
 * Whether a client's text frame on the live socket is Deepgram's `CloseStream` control message: a JSON
 * object whose `type` is `CloseStream`, not any text that merely holds the word.
 */

export function isCloseStream(data: Buffer): boolean {
  if (!data.includes("CloseStream")) return false; // the usual KeepAlive and Finalize: no parse
  let message: unknown;
  try {
    message = JSON.parse(data.toString("utf8"));
  } catch {
    return false;
  }
  return (
    typeof message === "object" && message !== null && (message as { type?: unknown }).type === "CloseStream"
  );
}
