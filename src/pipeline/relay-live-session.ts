/**
 * @module pipeline/relay-live-session
 * Relays an open live session between the client's socket and the provider's: frames both ways (audio and
 * control messages up, results down, the provider's own text redacted), bounded buffering both ways, close
 * codes passed on, a heartbeat and an idle limit, and audio metered from the bytes relayed (or the
 * provider's report, the larger), charged as it goes; any end of the client's side finishes the session
 * upstream (CloseStream, a bounded wait for its Metadata).
 */

import type { GatewayError } from "../errors/gateway-error.ts";
import { createLiveAudioMeter } from "../wire/deepgram/create-live-audio-meter.ts";
import { isCloseStream } from "../wire/deepgram/is-close-stream.ts";
import {
  closeCodeFor,
  closeReason,
  closeReasonFor,
  idleReason,
  isSendableCloseCode,
  LIVE_CLOSE,
  relayedCloseCode,
} from "../wire/deepgram/live-close-codes.ts";
import { readLiveDuration } from "../wire/deepgram/read-listen-duration.ts";
import { redactLiveMessage } from "../wire/deepgram/redact-live-message.ts";
import { contentRedactorFor } from "./call-secrets.ts";
import type { PipelineKit } from "./create-pipeline-kit.ts";
import type { LiveSession } from "./open-live-session.ts";

/** The part of a WebSocket (the `ws` package's, on either side) the relay uses. */
export interface LiveSocket {
  readonly readyState: number;
  send(data: Buffer, options: { binary: boolean }, callback: (error?: Error) => void): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
  pause(): void;
  resume(): void;
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: "close", listener: (code: number, reason: Buffer) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "pong", listener: () => void): unknown;
}

export type LiveSide = "client" | "provider";

export interface LiveRelayOptions {
  /** Bytes queued towards one side before reading is paused (the other side's; the client's too when it is the slow one). */
  readonly maxBufferedBytes: number;
  /** How often the client is pinged; one that has not answered by the next ping is dropped. 0: never. */
  readonly pingIntervalMs: number;
  /** After the client's end (any close, a drop, the plan's limit, idleness): how long the provider may take to answer `CloseStream`. */
  readonly finishMs: number;
  /** No audio and no control message from the client for this long closes the session (4008). */
  readonly idleMs: number;
  /** The rate audio of no raw encoding and no WAV header is metered at (bytes per second). */
  readonly fallbackBytesPerSecond: number;
  /** `slow` fell behind (`queuedBytes` wait for it): the other side is not read until it catches up. */
  readonly onPaused?: (slow: LiveSide, queuedBytes: number) => void;
  /** A mid-stream quota charge failed (the store is down); the session goes on and settles at the end. */
  readonly onChargeFailed?: (error: unknown) => void;
}

export interface LiveRelay {
  /** Ends the session now (the gateway is shutting down): the client sees 1001. */
  shutdown(): void;
  /**
   * Ends the session now because it was cut (its user revoked, its enrollment changed): the client sees
   * the error's close code (4001, 4003) with its code as the reason; the session is reported.
   */
  cut(error: GatewayError): void;
  /** Settles when the session has ended and been reported. */
  readonly finished: Promise<void>;
}

const OPEN = 1;
const CLOSE_STREAM = Buffer.from('{"type":"CloseStream"}');
/** Audio seconds relayed between two mid-stream quota charges (provider reports charge at once). */
const CHARGE_STEP_SECONDS = 0.25;
/** Audio seconds relayed and not yet charged past which the client is not read until the charge answers. */
const UNCHARGED_LIMIT_SECONDS = 1;

function droppedReason(provider: string): string {
  return closeReason(`upstream_error: ${provider}: the live connection dropped.`);
}

/** The outcome recorded for a client's close code. */
function clientOutcome(code: number): string {
  if (code === LIVE_CLOSE.normal) return "ok";
  return isSendableCloseCode(code) ? "client_closed" : "client_gone";
}

export function relayLiveSession(
  kit: PipelineKit,
  session: LiveSession,
  client: LiveSocket,
  options: LiveRelayOptions,
): LiveRelay {
  const { call, routed, admission, upstream } = session;
  const { route, adapter } = routed;
  const provider: LiveSocket = upstream as unknown as LiveSocket;
  const redact = kit.redactorFor(call, route);
  // Transcripts are content (the keys in play redacted); Deepgram's errors, warnings and close reasons are
  // provider error text (key-shaped tokens too).
  const redaction = {
    content: contentRedactorFor(call, route),
    error: redact,
    quotesKey: kit.keyQuoteCheckFor(call, route),
  };
  const limit = options.maxBufferedBytes;
  const finished = Promise.withResolvers<void>();
  const meter = createLiveAudioMeter(session.upstreamQuery, options.fallbackBytesPerSecond);
  const metered = route.source === "operator"; // charged against the plan as it goes

  let ended = false; // nothing more is relayed
  let reported = false;
  let progress = 0; // the end of the audio the latest Results covered
  let total: number | null = null; // the Metadata's duration, once it came
  let charged = 0;
  let chargeQueued = false;
  let charging: Promise<void> = Promise.resolve();
  let finishTimer: NodeJS.Timeout | undefined;
  let finishOutcome: string | null = null; // set while the provider finishes after the client's end
  let closeStreamed = false; // CloseStream went upstream (the client's or the gateway's)
  let awaitingCharge = false; // the client is not read until the charge under way answers
  /** The provider's figure, or null while it has reported nothing. */
  const reportedAudio = () => total ?? (progress > 0 ? progress : null);
  /** What the session is charged: the larger of the audio relayed and the audio the provider reported. */
  const audio = () => Math.max(meter.seconds(), reportedAudio() ?? 0);

  /** Charges the audio metered since the last charge; one charge at a time, later ones coalesced. */
  function charge(): void {
    if (!metered || chargeQueued || ended) return;
    chargeQueued = true;
    charging = charging
      .then(async () => {
        chargeQueued = false;
        const delta = audio() - charged;
        if (delta <= 0 || ended) return;
        charged += delta;
        const refusal = await admission.consume({ inputTokens: 0, outputTokens: 0, audioSeconds: delta });
        if (refusal !== null) endOverQuota(refusal);
      })
      .catch((error: unknown) => options.onChargeFailed?.(error))
      .finally(() => {
        if (!awaitingCharge) return;
        awaitingCharge = false;
        applyPauses();
      });
  }

  // Durations are read from every provider message, also after the client left (its session finishes
  // upstream, and the Metadata says how much audio there was).
  provider.on("message", (data, isBinary) => {
    if (isBinary || (!data.includes('"Results"') && !data.includes('"Metadata"'))) return;
    const seen = readLiveDuration(data.toString("utf8"));
    if (seen === null) return;
    if (seen.kind === "total") total = seen.seconds;
    else if (seen.end > progress) progress = seen.end;
    charge();
  });

  // Bytes sent and not yet written, each way. Past the limit towards the provider, the client is not
  // read; past it towards the client, neither side is (unread results must not let audio keep flowing).
  let upQueued = 0;
  let downQueued = 0;
  let clientPaused = false; // not read: it cannot answer pings meanwhile
  let providerPaused = false;
  const upBacked = () => upQueued > limit;
  const downBacked = () => downQueued > limit;
  function applyPauses(): void {
    const pauseClient =
      !ended && (awaitingCharge || upQueued > (clientPaused ? limit / 2 : limit) || downBacked());
    const pauseProvider = !ended && downQueued > (providerPaused ? limit / 2 : limit);
    if (pauseClient !== clientPaused) {
      clientPaused = pauseClient;
      if (pauseClient) {
        client.pause();
        if (upBacked()) options.onPaused?.("provider", upQueued);
        else if (downBacked()) options.onPaused?.("client", downQueued);
      } else client.resume();
    }
    if (pauseProvider !== providerPaused) {
      providerPaused = pauseProvider;
      if (pauseProvider) provider.pause();
      else provider.resume();
    }
  }

  let lastHeard = performance.now();
  client.on("message", (data, isBinary) => {
    lastHeard = performance.now();
    if (ended || provider.readyState !== OPEN) return;
    if (isBinary) {
      meter.add(data);
      if (metered) {
        const uncharged = audio() - charged;
        if (uncharged >= CHARGE_STEP_SECONDS) charge();
        // Quotas admit against the audio relayed: no more than a second of it goes uncharged.
        if (uncharged >= UNCHARGED_LIMIT_SECONDS && !awaitingCharge) {
          awaitingCharge = true;
          applyPauses();
        }
      }
    } else if (isCloseStream(data)) closeStreamed = true; // a text that only mentions it finishes nothing
    const size = data.length;
    upQueued += size;
    provider.send(data, { binary: isBinary }, () => {
      upQueued -= size;
      if (clientPaused) applyPauses();
    });
    if (upQueued > limit && !clientPaused) applyPauses();
  });
  provider.on("message", (data, isBinary) => {
    if (ended || client.readyState !== OPEN) return;
    const outgoing = redactLiveMessage(data, isBinary, redaction);
    if (outgoing === null) return;
    const size = outgoing.length;
    downQueued += size;
    client.send(outgoing, { binary: false }, () => {
      downQueued -= size;
      if (providerPaused || clientPaused) applyPauses();
    });
    if (downQueued > limit && !providerPaused) applyPauses();
  });

  function report(outcome: string): void {
    if (reported) return;
    reported = true;
    clearInterval(heartbeat);
    clearTimeout(finishTimer);
    clearTimeout(idleTimer);
    void charging.then(() => {
      const seconds = audio();
      kit.report(call, "stt", route, admission, session.started, {
        stream: true,
        status: 200,
        outcome,
        usage: null,
        audioSeconds: seconds,
        estimated: total === null && seconds > 0,
      });
      finished.resolve();
    });
  }

  /** Closes a side still open; a side paused for backpressure is read again, or its close frame never would be. */
  const closeIfOpen = (socket: LiveSocket, code: number, reason: string) => {
    socket.resume();
    if (socket.readyState === OPEN) socket.close(code, reason);
  };

  /**
   * The client's side ended (its close, a drop, the plan's limit, idleness): the provider is asked to
   * finish (CloseStream), so its Metadata gives its duration, and its socket is cut after `finishMs`.
   */
  function finishUpstream(outcome: string): void {
    ended = true;
    if (provider.readyState !== OPEN) {
      report(outcome);
      return;
    }
    finishOutcome = outcome;
    provider.resume();
    if (!closeStreamed) provider.send(CLOSE_STREAM, { binary: false }, () => {});
    closeStreamed = true;
    finishTimer = setTimeout(() => {
      closeIfOpen(provider, LIVE_CLOSE.normal, "");
      report(outcome);
    }, options.finishMs);
    finishTimer.unref();
  }

  function endOverQuota(error: GatewayError): void {
    if (ended) return;
    closeIfOpen(client, closeCodeFor(error), closeReasonFor(error));
    finishUpstream(error.type);
  }

  client.on("error", () => {}); // a close follows
  provider.on("error", () => {});
  client.on("close", (code) => {
    if (ended) return;
    finishUpstream(clientOutcome(code));
  });
  provider.on("close", (code, reason) => {
    if (ended) {
      if (finishOutcome !== null) report(finishOutcome); // the session finished upstream
      return;
    }
    ended = true;
    const relayed = relayedCloseCode(code);
    if (relayed === null) closeIfOpen(client, LIVE_CLOSE.badGateway, droppedReason(adapter.id));
    else closeIfOpen(client, relayed, closeReason(redact(reason.toString("utf8"))));
    report(relayed === LIVE_CLOSE.normal ? "ok" : "upstream_closed");
  });

  // The gateway's own idle limit: no audio and no control message from the client (not counting time
  // the client is not read because the provider is slow).
  let idleTimer: NodeJS.Timeout | undefined;
  function checkIdle(): void {
    if (ended) return;
    const quiet = performance.now() - lastHeard;
    if (quiet < options.idleMs || (clientPaused && upBacked())) {
      idleTimer = setTimeout(checkIdle, Math.max(options.idleMs - quiet, options.idleMs / 4));
      idleTimer.unref();
      return;
    }
    closeIfOpen(client, LIVE_CLOSE.idle, idleReason(options.idleMs));
    finishUpstream("idle_timeout");
  }
  idleTimer = setTimeout(checkIdle, options.idleMs);
  idleTimer.unref();

  // A client that stops answering pings (gone without a FIN) is dropped, which finishes its session.
  let answered = true;
  client.on("pong", () => {
    answered = true;
  });
  client.on("message", () => {
    answered = true;
  });
  const heartbeat =
    options.pingIntervalMs > 0
      ? setInterval(() => {
          if (clientPaused || answered) {
            answered = false;
            if (client.readyState === OPEN) client.ping();
            return;
          }
          client.terminate();
        }, options.pingIntervalMs)
      : undefined;
  heartbeat?.unref();

  provider.resume();
  // Either side may have closed before the relay began listening.
  if (provider.readyState !== OPEN) {
    ended = true;
    closeIfOpen(client, LIVE_CLOSE.badGateway, droppedReason(adapter.id));
    report("upstream_closed");
  } else if (client.readyState !== OPEN) {
    ended = true;
    closeIfOpen(provider, LIVE_CLOSE.normal, "");
    report("client_closed");
  }

  return {
    shutdown() {
      if (reported) return;
      ended = true;
      closeIfOpen(client, LIVE_CLOSE.goingAway, "the gateway is shutting down");
      closeIfOpen(provider, LIVE_CLOSE.normal, "");
      report("shutdown");
    },
    cut(error) {
      if (reported) return;
      ended = true;
      closeIfOpen(client, closeCodeFor(error), closeReason(`${error.code ?? error.type}: ${error.message}`));
      closeIfOpen(provider, LIVE_CLOSE.normal, "");
      report(error.type);
    },
    finished: finished.promise,
  };
}

/** A session whose client left before its socket was accepted: the provider's socket closes, the call is reported. */
export function abandonLiveSession(kit: PipelineKit, session: LiveSession): void {
  const provider = session.upstream as unknown as LiveSocket;
  provider.on("error", () => {});
  provider.resume(); // read, or the provider's close frame would wait unread for ws's 30 s close timer
  if (provider.readyState === OPEN) provider.close(LIVE_CLOSE.normal, "");
  kit.report(session.call, "stt", session.routed.route, session.admission, session.started, {
    stream: true,
    status: 499,
    outcome: "client_aborted",
    usage: null,
    audioSeconds: 0,
  });
}
