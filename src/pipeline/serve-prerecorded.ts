/**
 * @module pipeline/serve-prerecorded
 * `POST /v1/listen` on a speech-to-text route: the upload streamed to the provider as it arrives (never
 * buffered whole, cut off with a 413 past the limit) or a `{"url"}` body the provider fetches; the answer
 * returned as the provider sent it, its reported duration metered in audio seconds.
 */
import { type Readable, Transform } from "node:stream";
import { GatewayError, isGatewayError, withHeaders } from "../errors/gateway-error.ts";
import { readPrerecordedDuration } from "../wire/deepgram/read-listen-duration.ts";
import { buildListenQuery, refuseUnmeteredCallback } from "./build-listen-query.ts";
import { failureOf, type PipelineKit } from "./create-pipeline-kit.ts";
import { JSON_HEADERS, type ModelCall, type PipelineResponse } from "./pipeline-types.ts";

/** What the client sent: audio bytes of any content type, or JSON naming a URL the provider fetches. */
export type ListenUpload =
  | {
      readonly kind: "audio";
      readonly stream: Readable;
      readonly contentType: string;
      /** The client's Content-Length, null for a chunked upload. */
      readonly contentLength: number | null;
    }
  | { readonly kind: "url"; readonly body: unknown };

function tooLarge(limit: number): GatewayError {
  return new GatewayError("payload_too_large", {
    message: `The audio is larger than this gateway's ${limit}-byte limit for prerecorded transcription.`,
    // The rest of the upload is not read: the connection closes after the answer.
    headers: { connection: "close" },
  });
}

/** The `{"url": ...}` body, checked: the provider fetches it, the gateway never does. */
function urlBody(body: unknown): string {
  const url =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as { url?: unknown }).url
      : undefined;
  if (typeof url !== "string" || url === "") {
    throw new GatewayError("invalid_request", {
      message: 'A JSON body must be {"url": "https://..."}, naming audio the provider fetches.',
      param: "url",
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GatewayError("invalid_request", { message: "`url` is not a valid URL.", param: "url" });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new GatewayError("invalid_request", { message: "`url` must be an http(s) URL.", param: "url" });
  }
  return JSON.stringify({ url });
}

const emptyAudio = () => new GatewayError("invalid_request", { message: "The audio body is empty." });

/** Counts the upload as it passes: fails it past the limit, and when it ends empty (a chunked upload). */
function limitUpload(upload: Readable, limit: number, onRefused: (error: GatewayError) => void): Transform {
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limit) {
        const error = tooLarge(limit);
        onRefused(error);
        upload.unpipe(counted); // stop reading; the answer closes the connection
        done(error);
        return;
      }
      done(null, chunk);
    },
    flush(done) {
      if (bytes > 0) return done();
      const error = emptyAudio();
      onRefused(error);
      done(error);
    },
  });
  upload.once("error", (error) => counted.destroy(error));
  upload.once("aborted", () => counted.destroy(new Error("the client aborted the upload")));
  upload.pipe(counted);
  return counted;
}

export async function servePrerecorded(
  kit: PipelineKit,
  call: ModelCall,
  query: URLSearchParams,
  upload: ListenUpload,
  maxUploadBytes: number,
): Promise<PipelineResponse> {
  const started = kit.now();
  if (upload.kind === "audio") {
    if (upload.contentLength !== null && upload.contentLength > maxUploadBytes)
      throw tooLarge(maxUploadBytes);
    if (upload.contentLength === 0) throw emptyAudio();
  }
  const json = upload.kind === "url" ? urlBody(upload.body) : null;
  const routed = kit.route(call, "stt", query.get("model"), [], "listen");
  const { route, adapter } = routed;
  let path: string;
  try {
    refuseUnmeteredCallback(query, route);
    path = `${adapter.paths.stt}?${buildListenQuery(query, route).text}`;
  } catch (error) {
    throw isGatewayError(error) ? withHeaders(error, kit.routeHeader(route)) : error;
  }
  const admission = await kit.admit(call, route, false, null);
  const report = (outcome: Parameters<PipelineKit["report"]>[5]) =>
    kit.report(call, "stt", route, admission, started, outcome);

  let refused: GatewayError | null = null;
  let text: string;
  let duration: number | null;
  try {
    const response = await kit.sendBody(
      call,
      routed,
      upload.kind === "url"
        ? { path, body: json!, contentType: "application/json", accept: "application/json" }
        : {
            path,
            body: limitUpload(upload.stream, maxUploadBytes, (error) => {
              refused = error;
            }),
            contentType: upload.contentType,
            accept: "application/json",
            ...(upload.contentLength === null ? {} : { contentLength: upload.contentLength }),
          },
    );
    const answer = await kit.readJson(response.body, routed, call.signal);
    text = answer.text;
    duration = readPrerecordedDuration(answer.parsed);
    // A callback request is acknowledged at once; its transcript (and duration) goes to the callback.
    if (duration === null && !query.has("callback")) throw kit.shapeError(routed);
  } catch (error) {
    const failure = refused === null ? error : withHeaders(refused, kit.routeHeader(route));
    report({ stream: false, ...failureOf(failure), usage: null });
    throw failure;
  }
  report({ stream: false, status: 200, outcome: "ok", usage: null, audioSeconds: duration ?? 0 });
  return { status: 200, headers: { ...JSON_HEADERS, ...kit.routeHeader(route) }, body: text };
}
