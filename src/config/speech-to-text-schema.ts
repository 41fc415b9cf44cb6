/**
 * @module config/speech-to-text-schema
 * The `speechToText` settings: prerecorded upload limits (and what may be replayed to a fallback route),
 * listen tickets, and the live sessions' buffers, pings and time limits.
 */
import { z } from "zod";

export const speechToTextSchema = z
  .strictObject({
    /** The largest prerecorded upload relayed to the provider (`POST /v1/listen`); 413 beyond it. */
    maxUploadBytes: z
      .number()
      .int()
      .min(1024)
      .max(8 * 1024 * 1024 * 1024)
      .default(512 * 1024 * 1024),
    /**
     * An upload up to this size is held in memory so a failed attempt can be replayed to the next route
     * (docs/features-and-routing.md, "When an upstream fails"); a larger one streams through, attempted
     * once. 0: never held. A `{"url"}` body is always replayable.
     */
    replayUploadBytes: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    /**
     * Bytes of uploads held for replay at once, all requests of the process: an upload that would pass it
     * streams through, attempted once. Read only after the request is admitted.
     */
    replayHeldBytes: z
      .number()
      .int()
      .min(0)
      .max(8 * 1024 * 1024 * 1024)
      .default(64 * 1024 * 1024),
    /** How long a listen ticket may be redeemed (single use, held in memory). */
    ticketTtlSeconds: z.number().int().min(1).max(59).default(30),
    /** Tickets held at once; issuing beyond it drops the oldest. */
    maxTickets: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Bytes one live session may have queued towards a slow side before that side's sender is paused. */
    liveMaxBufferedBytes: z
      .number()
      .int()
      .min(16 * 1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** How often live clients are pinged; one that has not answered by the next ping is dropped (0: never). */
    livePingIntervalMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** The largest single live message (an audio frame or a result). */
    liveMaxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    /**
     * The rate (bytes per second) live audio of no raw `encoding` and no WAV header is metered at: its
     * duration is taken as at least bytes / this (a lower bound for any stream at or below this bitrate).
     */
    liveFallbackBytesPerSecond: z.number().int().min(1000).max(10_000_000).default(32_000),
    /** After a client's close, how long the provider may take to answer `CloseStream` (its Metadata) before its socket is cut. */
    liveFinishTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** A live session with no audio and no control message from the client for this long is closed (4008). */
    liveIdleTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Live sessions open (or opening) at once across the gateway; one more is closed with 1013. */
    liveMaxSessions: z.number().int().min(1).max(1_000_000).default(1_000),
  })
  .prefault({});
