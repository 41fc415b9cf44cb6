/**
 * @module test/support/recording-fetch
 * A `fetch` that records what a client sent (URL, method, headers, body text) and then really sends it.
 */

export interface SentRequest {
  readonly url: string;
  readonly method: string;
  /** Lowercased names. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface RecordingFetch {
  readonly fetch: typeof fetch;
  readonly sent: SentRequest[];
}

export function createRecordingFetch(): RecordingFetch {
  const sent: SentRequest[] = [];
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = request.body ? await request.clone().text() : "";
    sent.push({
      url: request.url,
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body,
    });
    return fetch(request);
  };
  return { fetch: recording, sent };
}
