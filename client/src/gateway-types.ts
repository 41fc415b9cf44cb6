/**
 * @module client/gateway-types
 * The gateway's answers as the kit returns them, spelled as on the wire (docs/api.md, docs/client.md).
 */
import type { ProviderId } from "./user-keys.ts";

/** `GET/PUT/DELETE /v1/byok/enrollment`, `POST /v1/byok/heartbeat`. Never carries fingerprints. */
export interface EnrollmentStatus {
  active: boolean;
  providers: ProviderId[];
  custom: { baseUrl: string; model: string | null } | null;
  enrolledAt: string | null;
  lastSeenAt: string | null;
  /** When the enrollment lapses without a heartbeat (ISO date). */
  expiresAt: string | null;
}

/** One presented key's live check. */
export interface VerifyResult {
  status: "valid" | "invalid" | "unknown";
  /** The provider's message (keys redacted, bounded) or the gateway's. */
  message: string | null;
  latencyMs: number;
  httpStatus: number | null;
  /** The egress guard's reason code when the custom URL was refused. */
  egressReason: string | null;
}

/** `POST /v1/byok/verify`: one entry per presented key. */
export interface VerifyResults {
  results: Partial<Record<ProviderId, VerifyResult>>;
}

export interface RoutePreviewFeature {
  feature: string;
  /** Other names a request may use for the feature. */
  aliases: string[];
  operation: "chat" | "embeddings" | "stt";
  /** Whose key would serve it; `null`: no route for this user (`reason` says why). */
  source: "byok" | "operator" | null;
  provider: string | null;
  model: string | null;
  reason: string | null;
}

/** `GET /v1/byok/routes`: which of the app's features run on whose key, for the keys presented. */
export interface RoutePreview {
  features: RoutePreviewFeature[];
}

export interface UsageTotals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  audio_seconds: number;
  estimated_requests: number;
}

export interface UsageLimit {
  meter: string;
  period: string;
  scope: string;
  features: string[] | null;
  used: number;
  limit: number;
  remaining: number;
  resets_at: string;
}

/** `GET /v1/usage`: the plan's limits (operator-served usage only) and this month's usage by source. */
export interface UsageReport {
  user: string;
  plan: string | null;
  limits: UsageLimit[];
  usage: {
    from: string;
    to: string;
    byok: UsageTotals;
    operator: UsageTotals;
    by_feature: Array<{ feature: string | null; source: "byok" | "operator" } & UsageTotals>;
  };
}
