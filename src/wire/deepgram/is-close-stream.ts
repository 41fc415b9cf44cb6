/**
 * @module wire/deepgram/is-close-stream
 * Whether a client's text frame on the live socket is Deepgram's `CloseStream` control message as its SDKs
 * send it: `{"type":"CloseStream"}`, spaces allowed around the tokens, and nothing else in it.
 */

/** The one form counted: a variant Deepgram might read otherwise (a second `type`, more members) is not. */
const CLOSE_STREAM = /^\s*\{\s*"type"\s*:\s*"CloseStream"\s*\}\s*$/;

/**
 * True for the canonical message only. Any other frame, whatever it holds, leaves the gateway to send its
 * own CloseStream when the client leaves, so the provider's final Metadata (its duration) still comes.
 */
export function isCloseStream(data: Buffer): boolean {
  if (data.length > 64 || !data.includes("CloseStream")) return false; // KeepAlive, Finalize: no match
  return CLOSE_STREAM.test(data.toString("utf8"));
}
