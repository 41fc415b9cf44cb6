/**
 * @module pipeline/relay-live-session
 * Relays an open live session between the client's socket and the provider's: frames both ways (audio and
 * control messages up, results down, the provider's own text redacted), bounded buffering (a slow side
 * pauses the other's reading), close codes passed on, a heartbeat, and audio seconds metered as they come.
 */

import type { GatewayError } from "../errors/gateway-error.ts";
import {
  closeCodeFor,
  closeReason,
  closeReasonFor,
  isSendableCloseCode,
  LIVE_CLOSE,
  relayedCloseCode,
} from "../wire/deepgram/live-close-codes.ts";
import { readLiveDuration } from "../wire/deepgram/read-listen-duration.ts";
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
  /** Bytes queued towards one side before the other side's reading is paused. */
  readonly maxBufferedBytes: number;
  /** How often the client is pinged; one that has not answered by the next ping is dropped. 0: never. */
  readonly pingIntervalMs: number;
  /** How long a vanished client's session may take to finish upstream (its final duration) before it is cut. */
  readonly drainMs: number;
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

function droppedReason(provider: string): string {
  return closeReason(`upstream_error: ${provider}: the live connection dropped.`);
}

/** Results and Metadata (the bulk of the traffic) lead with their type; they carry no provider text. */
function isTranscript(data: Buffer): boolean {
  const head = data.subarray(0, 48);
  return head.includes('"Results"') || head.includes('"Metadata"');
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
  const limit = options.maxBufferedBytes;
  const finished = Promise.withResolvers<void>();

  let ended = false; // nothing more is relayed
  let reported = false;
  let clientPaused = false; // not read because the provider is slow (it cannot answer pings then)
  let progress = 0; // the end of the audio the latest Results covered
  let total: number | null = null; // the Metadata's duration, once it came
  let charged = 0;
  let chargeQueued = false;
  let charging: Promise<void> = Promise.resolve();
  let drainTimer: NodeJS.Timeout | undefined;
  const audio = () => total ?? progress;

  /** Charges the audio reported since the last charge; one charge at a time, later ones coalesced. */
  function charge(): void {
    if (route.source !== "operator" || chargeQueued || ended) return;
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
      .catch((error: unknown) => options.onChargeFailed?.(error));
  }

  // Durations are read from every provider message, also after the client left (a vanished client's
  // session finishes upstream, and its Metadata says how much audio there was).
  provider.on("message", (data, isBinary) => {
    if (isBinary || (!data.includes('"Results"') && !data.includes('"Metadata"'))) return;
    const seen = readLiveDuration(data.toString("utf8"));
    if (seen === null) return;
    if (seen.kind === "total") total = seen.seconds;
    else if (seen.end > progress) progress = seen.end;
    charge();
  });

  /** The provider's own text (errors, warnings) may quote a key: redacted; transcripts pass untouched. */
  function fromProvider(data: Buffer, isBinary: boolean): Buffer {
    if (isBinary || isTranscript(data)) return data;
    const text = data.toString("utf8");
    const clean = redact(text);
    return clean === text ? data : Buffer.from(clean, "utf8");
  }

  /** Frames from `from` to `to`; past the limit queued towards `to`, `from` stops being read. */
  function forward(
    from: LiveSocket,
    to: LiveSocket,
    slow: LiveSide,
    rewrite: (data: Buffer, isBinary: boolean) => Buffer,
  ) {
    let pending = 0;
    let paused = false;
    const setPaused = (value: boolean) => {
      paused = value;
      if (from === client) clientPaused = value;
      if (value) from.pause();
      else from.resume();
    };
    from.on("message", (data, isBinary) => {
      if (ended || to.readyState !== OPEN) return;
      const outgoing = rewrite(data, isBinary);
      const size = outgoing.length;
      pending += size;
      to.send(outgoing, { binary: isBinary }, () => {
        pending -= size;
        if (paused && pending <= limit / 2) setPaused(false);
      });
      if (!paused && pending > limit) {
        setPaused(true);
        options.onPaused?.(slow, pending);
      }
    });
  }

  function report(outcome: string): void {
    if (reported) return;
    reported = true;
    clearInterval(heartbeat);
    clearTimeout(drainTimer);
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

  function endOverQuota(error: GatewayError): void {
    if (ended) return;
    ended = true;
    closeIfOpen(client, closeCodeFor(error), closeReasonFor(error));
    closeIfOpen(provider, LIVE_CLOSE.normal, "");
    report(error.type);
  }

  /**
   * The client vanished (no close frame): the provider is asked to finish (CloseStream), so its Metadata
   * gives the exact duration, and its socket is closed after `drainMs` at the latest.
   */
  function drain(): void {
    provider.resume();
    provider.send(CLOSE_STREAM, { binary: false }, () => {});
    drainTimer = setTimeout(() => {
      closeIfOpen(provider, LIVE_CLOSE.normal, "");
      report("client_gone");
    }, options.drainMs);
    drainTimer.unref();
  }

  forward(client, provider, "provider", (data) => data);
  forward(provider, client, "client", fromProvider);

  client.on("error", () => {}); // a close follows
  provider.on("error", () => {});
  client.on("close", (code, reason) => {
    if (ended) return;
    ended = true;
    if (!isSendableCloseCode(code) && provider.readyState === OPEN) {
      drain();
      return;
    }
    // The client closed: the provider's socket closes at once, with the client's code, so its billing stops.
    closeIfOpen(
      provider,
      isSendableCloseCode(code) ? code : LIVE_CLOSE.normal,
      isSendableCloseCode(code) ? closeReason(reason.toString("utf8")) : "",
    );
    report(code === LIVE_CLOSE.normal ? "ok" : "client_closed");
  });
  provider.on("close", (code, reason) => {
    if (ended) {
      if (drainTimer !== undefined) report("client_gone"); // the vanished client's session finished
      return;
    }
    ended = true;
    const relayed = relayedCloseCode(code);
    if (relayed === null) closeIfOpen(client, LIVE_CLOSE.badGateway, droppedReason(adapter.id));
    else closeIfOpen(client, relayed, closeReason(redact(reason.toString("utf8"))));
    report(relayed === LIVE_CLOSE.normal ? "ok" : "upstream_closed");
  });

  // A client that stops answering pings (gone without a FIN) is dropped, which drains its session.
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
