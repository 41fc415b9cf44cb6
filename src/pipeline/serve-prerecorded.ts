/**
 * @module pipeline/serve-prerecorded
 * `POST /v1/listen` on a speech-to-text route: the upload streamed to the provider as it arrives (cut off
 * with a 413 past the limit; held whole, once admitted, only up to `replayUploadBytes` and the process's
 * `replayHeldBytes`, so a failed attempt can move to the next route) or a `{"url"}` body the provider fetches; the answer returned as the provider sent it, its
 * reported duration metered in audio seconds.
 */
import { Readable, Transform } from "node:stream";
import { GatewayError, isGatewayError, withHeaders } from "../errors/gateway-error.ts";
import { withQuery } from "../providers/index.ts";
import { readPrerecordedDuration } from "../wire/deepgram/read-listen-duration.ts";
import { buildListenQuery, refuseUnmeteredCallback } from "./build-listen-query.ts";
import { secretsOf } from "./call-secrets.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import { JSON_HEADERS, type ModelCall, type PipelineResponse } from "./pipeline-types.ts";
import { redactTranscript } from "./redact-whole-answer.ts";
import { serveAttempts } from "./serve-attempts.ts";

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

/** How large an upload may be, and up to what size it is held so a failed attempt can be replayed. */
export interface UploadLimits {
  readonly maxUploadBytes: number;
  readonly replayUploadBytes: number;
  /** Bytes held for replay at once, all requests sharing these limits (the gateway's config). */
  readonly replayHeldBytes: number;
}

/** Bytes held for replay now, per limits object (one per gateway). */
const heldBytes = new WeakMap<UploadLimits, { bytes: number }>();

/** Takes `length` bytes of the replay budget if they fit; the release to call when the request ends. */
function takeReplayBudget(limits: UploadLimits, length: number): (() => void) | null {
  let budget = heldBytes.get(limits);
  if (budget === undefined) {
    budget = { bytes: 0 };
    heldBytes.set(limits, budget);
  }
  if (budget.bytes + length > limits.replayHeldBytes) return null;
  budget.bytes += length;
  const taken = budget;
  return () => {
    taken.bytes -= length;
  };
}

export async function servePrerecorded(
  kit: PipelineKit,
  call: ModelCall,
  query: URLSearchParams,
  upload: ListenUpload,
  limits: UploadLimits,
): Promise<PipelineResponse> {
  const started = kit.now();
  const { maxUploadBytes } = limits;
  if (upload.kind === "audio") {
    if (upload.contentLength !== null && upload.contentLength > maxUploadBytes)
      throw tooLarge(maxUploadBytes);
    if (upload.contentLength === 0) throw emptyAudio();
  }
  const json = upload.kind === "url" ? urlBody(upload.body) : null;
  const planned = kit.route(call, "stt", query.get("model"), [], "listen");
  // A declared upload within the replay bound (and the process's held bytes) is held so the next route
  // can be sent it, read only once the first attempt is admitted; a larger or chunked one streams
  // through once. A `{"url"}` body is text: always replayable.
  const release =
    upload.kind === "audio" &&
    upload.contentLength !== null &&
    upload.contentLength <= limits.replayUploadBytes
      ? takeReplayBudget(limits, upload.contentLength)
      : null;
  let held: Promise<Buffer> | null = null;
  const body = (): Promise<UploadBody> | UploadBody => {
    if (upload.kind === "url") return { text: json! };
    if (release === null) {
      return {
        stream: upload.stream,
        contentType: upload.contentType,
        contentLength: upload.contentLength,
        counted: maxUploadBytes,
      };
    }
    held ??= readUpload(upload.stream, upload.contentLength!, call.signal);
    return held.then((bytes) => ({
      stream: Readable.from([bytes]),
      contentType: upload.contentType,
      contentLength: bytes.length,
    }));
  };
  try {
    return await serveAttempts(
      kit,
      call,
      planned,
      started,
      (routed) => transcribeOn(kit, call, query, routed, started, body),
      upload.kind === "url" || release !== null,
    );
  } finally {
    release?.();
  }
}

type UploadBody =
  | { readonly text: string }
  | {
      readonly stream: Readable;
      readonly contentType: string;
      readonly contentLength: number | null;
      /** Counted against this limit as it streams (413 past it, an empty one refused). */
      readonly counted?: number;
    };

/** Reads a declared upload whole (it fits the replay bound); the client's abort or a short upload fails it. */
async function readUpload(stream: Readable, length: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    if (signal.aborted) throw signal.reason;
    bytes += (chunk as Buffer).length;
    if (bytes > length) throw tooLarge(length);
    chunks.push(chunk as Buffer);
  }
  if (bytes === 0) throw emptyAudio();
  return Buffer.concat(chunks, bytes);
}

/** One attempt on one route: its query and path, admission, the upload sent, the answer metered. */
async function transcribeOn(
  kit: PipelineKit,
  call: ModelCall,
  query: URLSearchParams,
  routed: RoutedCall,
  started: number,
  uploadOf: () => Promise<UploadBody> | UploadBody,
): Promise<PipelineResponse> {
  const { route } = routed;
  let path: string;
  try {
    refuseUnmeteredCallback(query, route);
    path = withQuery(kit.pathOf(routed, "stt"), buildListenQuery(query, route).text);
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
    const upload = await uploadOf(); // after admission: a refused request never makes the gateway hold it
    const response = await kit.sendBody(
      call,
      routed,
      "text" in upload
        ? {
            path,
            body: upload.text,
            contentType: "application/json",
            accept: "application/json",
            whole: true,
          }
        : {
            path,
            body:
              upload.counted === undefined
                ? upload.stream
                : limitUpload(upload.stream, upload.counted, (error) => {
                    refused = error;
                  }),
            contentType: upload.contentType,
            accept: "application/json",
            // Collected whole, counted in the call's answer memory like every whole answer.
            whole: true,
            ...(upload.contentLength === null ? {} : { contentLength: upload.contentLength }),
          },
    );
    const answer = await kit.readJson(response, routed, call.signal);
    // Every key in play (the operator's or the user's) is redacted from the answer, as from every whole answer.
    text = redactTranscript(answer.text, answer.parsed, secretsOf(call, route));
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
