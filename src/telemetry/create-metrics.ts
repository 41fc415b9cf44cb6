/**
 * @module telemetry/create-metrics
 * The Prometheus registry (prom-client) and the gateway's counters; labels are stable codes, never keys or URLs.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ConnectionKind } from "../config/connection-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import { registerUpstreamPoolGauges, type UpstreamPoolReader } from "./register-upstream-pool-gauges.ts";

/** The model operations served (the `operation` label). */
export type MetricOperation = "chat" | "embeddings" | "messages" | "responses" | "stt";
/** Whose key served a call (the `source` label). */
export type MetricSource = "byok" | "operator";
/** The rate limits that answer 429 (the `limit` label). */
export const RATE_LIMIT_NAMES = [
  "requests_per_minute",
  "concurrent_streams",
  "anonymous_requests_per_minute",
  "quota_reserved",
  "verify_requests_per_minute",
] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];
/** What coordinates replicas through Redis (the `feature` label of the degraded gauge). */
export const COORDINATED_FEATURES = ["rate_limits", "invalidations", "quotas", "listen_tickets"] as const;
export type CoordinatedFeature = (typeof COORDINATED_FEATURES)[number];

/** A circuit breaker as `byok_circuit_breaker_state` reads it on each scrape (resilience/ gives these). */
export interface BreakerStateReading {
  /** `<connection>|<source>`: an operator connection's name and whose key, never user data. */
  readonly upstream: string;
  readonly state: "closed" | "half_open" | "open";
}
const BREAKER_STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * One served model call as metrics see it. Only `operation`, `feature`, `provider`, `source` and
 * `status` become labels; the numbers are observed values. Nothing else of an object passed here is read
 * (a wider record carrying a user id or model name is safe to pass).
 */
export interface ServedCallObservation {
  readonly operation: MetricOperation;
  /** A configured feature name, or null for a direct `provider/model` call (labelled `direct`). */
  readonly feature: string | null;
  /** The adapter's id (a provider, or an operator connection's kind): bounded, never a connection's name. */
  readonly provider: ProviderId | ConnectionKind;
  readonly source: MetricSource;
  /** The HTTP status the client saw. */
  readonly status: number;
  readonly latencyMs: number;
  /** Tokens as the provider reported them; null when none were reported. */
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  /** Audio seconds as the provider reported them; null for non-audio calls. */
  readonly audioSeconds: number | null;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Egress refusals by reason code (docs/egress.md). */
  readonly egressDenied: Counter<"reason">;
  /** Model calls served, by operation, feature (or `direct`), provider, source and HTTP status. */
  readonly requests: Counter<"operation" | "feature" | "provider" | "source" | "status">;
  /** Time from sending upstream to the call's end, in seconds. */
  readonly upstreamDuration: Histogram<"operation" | "provider" | "source">;
  /** Tokens reported by providers, by direction (`input` | `output`). */
  readonly tokens: Counter<"source" | "provider" | "direction">;
  /** Audio seconds reported by providers. */
  readonly audioSeconds: Counter<"source" | "provider">;
  /** Requests refused for a plan limit (402), by meter. */
  readonly quotaRejections: Counter<"meter">;
  /** Requests refused by a rate limit (429), by `RateLimitName`. */
  readonly rateLimitRejections: Counter<"limit">;
  /** Usage records that could not be written and were dropped. */
  readonly usageRecordsDropped: Counter;
  /** 1 while a feature shared through Redis runs degraded (Redis away), else 0 (docs/deployment.md). */
  readonly coordinationDegraded: Gauge<"feature">;
  /** Transitions into degraded mode, by feature. */
  readonly coordinationDegradations: Counter<"feature">;
  /** Repairs made to pass-through streams of non-conforming upstreams, once per stream and kind (docs/api.md). */
  readonly streamRepairs: Counter<"provider" | "repair">;
  /** Circuit breaker transitions, by upstream and the state entered (`open`, `half_open`, `closed`). */
  readonly breakerTransitions: Counter<"upstream" | "to">;
  /** Where `byok_circuit_breaker_state` (0 closed, 1 half-open, 2 open) reads the breakers on each scrape. */
  readBreakerStates(source: () => Iterable<BreakerStateReading>): void;
  /** Where the `byok_upstream_pool_*` gauges read the upstream pools on a scrape (none until given). */
  watchUpstreamPools(reader: UpstreamPoolReader): void;
  /** Where `byok_answer_memory_bytes` reads the bytes whole answers hold on a scrape (0 until given). */
  readAnswerMemory(source: () => number): void;
  /** Upstream attempts by connection, key source and outcome (served, retried, fell_back, failed, skipped). */
  readonly upstreamAttempts: Counter<"connection" | "source" | "outcome">;
  /** Updates the request counter, the duration histogram and the token/audio counters for one call. */
  observeServedCall(call: ServedCallObservation): void;
}

/** 5 ms … 120 s: a cached embedding up to a long streamed completion. */
const UPSTREAM_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

/**
 * The most one call may add to a token or audio counter. The wire readers already cap counts at 10^9
 * tokens and 10^7 seconds; this bound keeps any other caller from pushing a sum towards Infinity.
 */
const MAX_OBSERVED_AMOUNT = 1e12;

/**
 * Counters only go up: a missing, negative, non-finite or absurd (above `MAX_OBSERVED_AMOUNT`) amount adds
 * nothing (prom-client throws on a non-finite increment, and every scrape would fail).
 */
function amount(value: number | null): number {
  return value !== null && Number.isFinite(value) && value > 0 && value <= MAX_OBSERVED_AMOUNT ? value : 0;
}

/**
 * Counts added on the hot path without prom-client's per-call label hashing and checks: one slot per
 * label combination (as bounded as the labels themselves), handed to the counter when it is collected
 * (every scrape and every read of the registry collects first).
 */
class PendingCounts<Label extends string> {
  readonly #slots = new Map<string, { readonly labels: Partial<Record<Label, string>>; value: number }>();

  /** Adds to the slot of `key`, if open (true), else does nothing (false): no labels object per call. */
  addIfOpen(key: string, value: number): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    // A sum that would leave the finite numbers keeps its value: a slot handed to prom-client stays finite.
    const sum = slot.value + value;
    if (Number.isFinite(sum)) slot.value = sum;
    return true;
  }

  /** Opens the slot of `key` with its labels (the first count of that combination) and adds to it. */
  open(key: string, labels: Partial<Record<Label, string>>, value: number): void {
    this.#slots.set(key, { labels, value: Number.isFinite(value) ? value : 0 });
  }

  flushInto(counter: Counter<Label>): void {
    for (const slot of this.#slots.values()) {
      if (slot.value === 0) continue;
      counter.inc(slot.labels, slot.value);
      slot.value = 0;
    }
  }
}

/** The keys and labels of one served-call label combination, made once (no strings or objects per call). */
interface ServedKeys {
  readonly request: string;
  readonly input: string;
  readonly output: string;
  readonly durationLabels: { readonly operation: string; readonly provider: string; readonly source: string };
}

/** The next level of a tree of maps, made on first use. */
function level(map: Map<unknown, unknown>, key: unknown): Map<unknown, unknown> {
  let next = map.get(key) as Map<unknown, unknown> | undefined;
  if (next === undefined) {
    next = new Map();
    map.set(key, next);
  }
  return next;
}

/** Served-call keys by operation, feature, provider, source and status: lookups only, once a combination is known. */
function createServedKeys() {
  const tree = new Map<unknown, unknown>();
  return (
    operation: string,
    feature: string,
    provider: string,
    source: string,
    status: number,
  ): ServedKeys => {
    const leaves = level(level(level(level(tree, operation), feature), provider), source);
    let keys = leaves.get(status) as ServedKeys | undefined;
    if (keys === undefined) {
      keys = {
        request: `${operation}\0${feature}\0${provider}\0${source}\0${status}`,
        input: `${source}\0${provider}\0i`,
        output: `${source}\0${provider}\0o`,
        durationLabels: { operation, provider, source },
      };
      leaves.set(status, keys);
    }
    return keys;
  };
}

export function createMetrics(options: { collectDefaults?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry, prefix: "byok_" });
  const registers = [registry];
  const egressDenied = new Counter({
    name: "byok_egress_denied_total",
    help: "Outbound requests and URL validations refused by the egress guard, by reason code.",
    labelNames: ["reason"] as const,
    registers,
  });
  type RequestLabel = "operation" | "feature" | "provider" | "source" | "status";
  const pendingRequests = new PendingCounts<RequestLabel>();
  const servedKeys = createServedKeys();
  const requests: Counter<RequestLabel> = new Counter({
    name: "byok_requests_total",
    help: "Model calls served, by operation, feature (or direct), provider, source and HTTP status.",
    labelNames: ["operation", "feature", "provider", "source", "status"] as const,
    registers,
    collect: () => pendingRequests.flushInto(requests),
  });
  const upstreamDuration = new Histogram({
    name: "byok_upstream_duration_seconds",
    help: "Duration of upstream model calls, from sending to the end of the response, in seconds.",
    labelNames: ["operation", "provider", "source"] as const,
    buckets: UPSTREAM_DURATION_BUCKETS,
    registers,
  });
  type TokenLabel = "source" | "provider" | "direction";
  const pendingTokens = new PendingCounts<TokenLabel>();
  const tokens: Counter<TokenLabel> = new Counter({
    name: "byok_tokens_total",
    help: "Tokens reported by providers, by source, provider and direction (input or output).",
    labelNames: ["source", "provider", "direction"] as const,
    registers,
    collect: () => pendingTokens.flushInto(tokens),
  });
  const audioSeconds = new Counter({
    name: "byok_audio_seconds_total",
    help: "Audio seconds reported by providers, by source and provider.",
    labelNames: ["source", "provider"] as const,
    registers,
  });
  const quotaRejections = new Counter({
    name: "byok_quota_rejections_total",
    help: "Requests refused with quota_exceeded (402), by meter.",
    labelNames: ["meter"] as const,
    registers,
  });
  const rateLimitRejections = new Counter({
    name: "byok_rate_limit_rejections_total",
    help: "Requests refused by a rate limit (429), by limit.",
    labelNames: ["limit"] as const,
    registers,
  });
  // The limits are a closed set: their series exist at zero, so rates read 0 rather than nothing.
  for (const limit of RATE_LIMIT_NAMES) rateLimitRejections.inc({ limit }, 0);
  const usageRecordsDropped = new Counter({
    name: "byok_usage_records_dropped_total",
    help: "Usage records that could not be written and were dropped.",
    registers,
  });

  const streamRepairs = new Counter({
    name: "byok_stream_repairs_total",
    help: "Streams from a non-conforming upstream repaired by the gateway, by provider and kind of repair.",
    labelNames: ["provider", "repair"] as const,
    registers,
  });

  const upstreamAttempts = new Counter({
    name: "byok_upstream_attempts_total",
    help: "Upstream attempts by connection, key source and outcome (served, retried, fell_back, failed, skipped).",
    labelNames: ["connection", "source", "outcome"] as const,
    registers,
  });

  const coordinationDegraded = new Gauge({
    name: "byok_coordination_degraded",
    help: "1 while a feature shared through Redis runs degraded because Redis cannot be reached, else 0.",
    labelNames: ["feature"] as const,
    registers,
  });
  const coordinationDegradations = new Counter({
    name: "byok_coordination_degradations_total",
    help: "Times a feature shared through Redis went degraded because Redis could not be reached.",
    labelNames: ["feature"] as const,
    registers,
  });

  let breakerStates: () => Iterable<BreakerStateReading> = () => [];
  new Gauge({
    name: "byok_circuit_breaker_state",
    help: "Circuit breaker state per upstream (connection|source): 0 closed, 1 half-open, 2 open.",
    labelNames: ["upstream"] as const,
    registers,
    collect() {
      this.reset();
      for (const { upstream, state } of breakerStates()) this.set({ upstream }, BREAKER_STATE_VALUES[state]);
    },
  });
  const breakerTransitions = new Counter({
    name: "byok_circuit_breaker_transitions_total",
    help: "Circuit breaker transitions per upstream (connection|source), by the state entered.",
    labelNames: ["upstream", "to"] as const,
    registers,
  });

  const watchUpstreamPools = registerUpstreamPoolGauges(registry);

  let answerMemory: () => number = () => 0;
  new Gauge({
    name: "byok_answer_memory_bytes",
    help: "Bytes of whole upstream answers the process holds now (bounded by server.answerMemoryBytes).",
    registers,
    collect() {
      this.set(answerMemory());
    },
  });

  return {
    registry,
    breakerTransitions,
    readBreakerStates(source) {
      breakerStates = source;
    },
    watchUpstreamPools,
    readAnswerMemory(source) {
      answerMemory = source;
    },
    coordinationDegraded,
    coordinationDegradations,
    egressDenied,
    requests,
    upstreamDuration,
    tokens,
    audioSeconds,
    quotaRejections,
    rateLimitRejections,
    usageRecordsDropped,
    streamRepairs,
    upstreamAttempts,
    observeServedCall(call) {
      // Read field by field: nothing but these codes and numbers can reach a label or a value.
      const { operation, provider, source } = call;
      const feature = call.feature ?? "direct";
      const status = call.status;
      const keys = servedKeys(operation, feature, provider, source, status);
      if (!pendingRequests.addIfOpen(keys.request, 1))
        pendingRequests.open(
          keys.request,
          { operation, feature, provider, source, status: String(status) },
          1,
        );
      if (Number.isFinite(call.latencyMs) && call.latencyMs >= 0)
        upstreamDuration.observe(keys.durationLabels, call.latencyMs / 1000);
      const input = amount(call.inputTokens);
      const output = amount(call.outputTokens);
      if (input > 0) {
        if (!pendingTokens.addIfOpen(keys.input, input))
          pendingTokens.open(keys.input, { source, provider, direction: "input" }, input);
      }
      if (output > 0) {
        if (!pendingTokens.addIfOpen(keys.output, output))
          pendingTokens.open(keys.output, { source, provider, direction: "output" }, output);
      }
      const audio = amount(call.audioSeconds);
      if (audio > 0) audioSeconds.inc({ source, provider }, audio);
    },
  };
}
