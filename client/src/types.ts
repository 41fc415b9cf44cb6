/**
 * @module client/types
 * The kit's wire types, mirroring docs/api.md (enrollment, verify, routes, usage) and the error envelope.
 */
export type ProviderId = "openai" | "anthropic" | "gemini" | "openrouter" | "deepgram" | "custom";

export interface UserKeys {
  openai?: string;
  anthropic?: string;
  gemini?: string;
  openrouter?: string;
  deepgram?: string;
  custom?: string;
  customBaseUrl?: string;
  customModel?: string;
}

export interface EnrollmentStatus {
  active: boolean;
  providers: ProviderId[];
  custom: { baseUrl: string; model: string | null } | null;
  enrolledAt: string | null;
  lastSeenAt: string | null;
  expiresAt: string | null;
}

export interface VerifyResult {
  status: "valid" | "invalid" | "unknown";
  message: string | null;
  latencyMs: number;
  httpStatus: number | null;
  egressReason: string | null;
}

export interface VerifyResults {
  results: Partial<Record<ProviderId, VerifyResult>>;
}

export interface RoutePreview {
  features: Array<{
    feature: string;
    operation: "chat" | "embeddings" | "stt";
    source: "byok" | "operator" | null;
    provider: string | null;
    model: string | null;
    reason: string | null;
  }>;
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
  features: string[];
  used: number;
  limit: number;
  remaining: number;
  resets_at: string;
}

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

export interface KeyStore {
  load(): Promise<UserKeys>;
  save(keys: UserKeys): Promise<void>;
  clear(): Promise<void>;
}
