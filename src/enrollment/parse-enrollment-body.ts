/**
 * @module enrollment/parse-enrollment-body
 * Turns an untrusted PUT /v1/byok/enrollment body into fingerprints and custom settings, or a 400 naming the field.
 */
import { type Capability, MODEL_CAPABILITIES } from "../config/feature-schema.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import { FINGERPRINT_PATTERN } from "../keys/compute-fingerprint.ts";
import { isProviderId, PROVIDER_IDS, type ProviderId } from "../keys/provider-ids.ts";

/**
 * The body of `PUT /v1/byok/enrollment` as a client writes it: fingerprints (64 lowercase hex) by provider id,
 * and the custom endpoint only with a custom fingerprint. What arrives is still parsed (it is untrusted).
 */
export interface EnrollmentBody {
  readonly fingerprints: Readonly<Partial<Record<ProviderId, string>>>;
  readonly custom?: { readonly baseUrl: string; readonly model?: string | null } | null;
}

export interface EnrollmentRequest {
  readonly fingerprints: Readonly<Partial<Record<ProviderId, string>>>;
  readonly custom: {
    readonly baseUrl: string;
    readonly model: string | null;
    /** What the user says their endpoint can do; null: nothing declared (the feature's customCapabilities apply). */
    readonly capabilities: readonly Capability[] | null;
  } | null;
}

/** `custom.capabilities`: a non-empty list of chat and embeddings capabilities (duplicates kept once). */
function parseCustomCapabilities(value: unknown): Capability[] | null {
  if (value === undefined || value === null) return null;
  const expected = `\`custom.capabilities\` must be a non-empty array of: ${MODEL_CAPABILITIES.join(", ")}.`;
  if (!Array.isArray(value) || value.length === 0 || value.length > MODEL_CAPABILITIES.length * 4) {
    throw invalid("custom.capabilities", expected);
  }
  const capabilities = new Set<Capability>();
  value.forEach((item: unknown, index) => {
    const known = MODEL_CAPABILITIES.find((capability) => capability === item);
    if (known === undefined) {
      const shown =
        typeof item === "string" ? `\`${item.slice(0, 40)}\`` : `a ${item === null ? "null" : typeof item}`;
      throw invalid(`custom.capabilities[${index}]`, `${shown} is not a capability; ${expected}`);
    }
    capabilities.add(known);
  });
  return [...capabilities];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const invalid = (param: string, message: string) =>
  new GatewayError("invalid_enrollment", { param, message });

function describeFingerprintProblem(value: unknown): string {
  if (typeof value !== "string") return "must be a string of 64 lowercase hex characters";
  if (value.length === 0) return "is empty; expected 64 lowercase hex characters";
  if (value.length !== 64) return `must be exactly 64 lowercase hex characters (got ${value.length})`;
  if (/[A-F]/.test(value) && /^[0-9a-fA-F]{64}$/.test(value)) return "must be lowercase hex";
  return "must contain only the hex characters 0-9 and a-f";
}

export function parseEnrollmentBody(body: unknown): EnrollmentRequest {
  if (!isObject(body)) throw invalid("(body)", "The body must be a JSON object.");
  for (const field of Object.keys(body)) {
    if (field !== "fingerprints" && field !== "custom") throw invalid(field, `Unknown field \`${field}\`.`);
  }
  const { fingerprints: rawFingerprints, custom: rawCustom } = body;
  if (!isObject(rawFingerprints)) {
    throw invalid(
      "fingerprints",
      "`fingerprints` must be an object of provider id → SHA-256 hex fingerprint.",
    );
  }
  const fingerprints: Partial<Record<ProviderId, string>> = {};
  for (const [provider, value] of Object.entries(rawFingerprints)) {
    const param = `fingerprints.${provider}`;
    if (!isProviderId(provider)) {
      throw invalid(param, `Unknown provider \`${provider}\`; expected one of ${PROVIDER_IDS.join(", ")}.`);
    }
    if (typeof value !== "string" || !FINGERPRINT_PATTERN.test(value)) {
      throw invalid(param, `The ${provider} fingerprint ${describeFingerprintProblem(value)}.`);
    }
    fingerprints[provider] = value;
  }
  if (Object.keys(fingerprints).length === 0)
    throw invalid("fingerprints", "At least one fingerprint is required.");

  let custom: EnrollmentRequest["custom"] = null;
  if (fingerprints.custom !== undefined) {
    if (!isObject(rawCustom) || typeof rawCustom.baseUrl !== "string" || rawCustom.baseUrl.trim() === "") {
      throw invalid(
        "custom.baseUrl",
        "A custom fingerprint needs `custom.baseUrl`, the endpoint's https base URL.",
      );
    }
    for (const field of Object.keys(rawCustom)) {
      if (field !== "baseUrl" && field !== "model" && field !== "capabilities")
        throw invalid(`custom.${field}`, `Unknown field \`custom.${field}\`.`);
    }
    const model = rawCustom.model;
    if (
      model !== undefined &&
      model !== null &&
      (typeof model !== "string" || model.trim() === "" || model.length > 256)
    ) {
      throw invalid("custom.model", "`custom.model` must be a non-empty string of at most 256 characters.");
    }
    custom = {
      baseUrl: rawCustom.baseUrl.trim(),
      model: typeof model === "string" ? model.trim() : null,
      capabilities: parseCustomCapabilities(rawCustom.capabilities),
    };
  } else if (rawCustom !== undefined && rawCustom !== null) {
    throw invalid("custom", "`custom` is only accepted together with a custom fingerprint.");
  }
  return { fingerprints, custom };
}
