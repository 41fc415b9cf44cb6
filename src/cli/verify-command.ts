/**
 * @module cli/verify-command
 * `byok-gateway verify`: the gateway's live key checks run here, without a gateway: keys from
 * BYOK_VERIFY_<PROVIDER>_KEY variables or `provider=key` lines on stdin; one line per provider; exit 0
 * only when every key is valid.
 */
import { loadConfig } from "../config/load-config.ts";
import { createEgressPolicy, createUpstreamClient } from "../egress/index.ts";
import { parseByokHeaders } from "../keys/parse-byok-headers.ts";
import { PROVIDER_IDS } from "../keys/provider-ids.ts";
import { createConfiguredKeyVerifier } from "../library/create-configured-key-verifier.ts";
import { createProviderRegistry } from "../providers/index.ts";

/** `openai=…`, `custom_base_url=…` (or `custom-base-url`): a name and what the X-BYOK-* header would carry. */
const SETTINGS: Readonly<Record<string, string>> = {
  custom_base_url: "x-byok-custom-base-url",
  custom_model: "x-byok-custom-model",
};

function headerFor(name: string): string | undefined {
  const normalized = name.trim().toLowerCase().replaceAll("-", "_");
  if ((PROVIDER_IDS as readonly string[]).includes(normalized)) return `x-byok-${normalized}`;
  return SETTINGS[normalized];
}

/** BYOK_VERIFY_OPENAI_KEY … BYOK_VERIFY_CUSTOM_KEY, BYOK_VERIFY_CUSTOM_BASE_URL, BYOK_VERIFY_CUSTOM_MODEL. */
export function keysFromEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const id of PROVIDER_IDS) {
    const value = env[`BYOK_VERIFY_${id.toUpperCase()}_KEY`];
    if (value !== undefined && value.trim() !== "") headers[`x-byok-${id}`] = value;
  }
  for (const [name, header] of Object.entries(SETTINGS)) {
    const value = env[`BYOK_VERIFY_${name.toUpperCase()}`];
    if (value !== undefined && value.trim() !== "") headers[header] = value;
  }
  return headers;
}

/** `provider=key` lines; blank lines and `#` comments skipped. Throws naming the line (never its value). */
export function keysFromLines(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const at = trimmed.indexOf("=");
    const header = at === -1 ? undefined : headerFor(trimmed.slice(0, at));
    if (header === undefined) {
      throw new Error(
        `verify: line ${index + 1} is not provider=key (providers: ${PROVIDER_IDS.join(", ")})`,
      );
    }
    headers[header] = trimmed.slice(at + 1).trim();
  });
  return headers;
}

export async function verifyCommand(
  headers: Record<string, string>,
  configFile: string | undefined,
): Promise<number> {
  const presented = parseByokHeaders(headers);
  if (!presented.any) {
    console.error(
      "verify: no keys. Set BYOK_VERIFY_<PROVIDER>_KEY (and BYOK_VERIFY_CUSTOM_BASE_URL), or pass --stdin " +
        "with provider=key lines.",
    );
    return 2;
  }
  const config = loadConfig({ file: configFile });
  const { timeouts: _timeouts, ...egress } = config.egress;
  const policy = createEgressPolicy({ ...egress, production: config.production });
  const upstream = createUpstreamClient({ policy, maxResponseBytes: config.upstream.maxResponseBytes });
  try {
    const verifier = createConfiguredKeyVerifier(config, policy, upstream, createProviderRegistry());
    const { results } = await verifier.verify(presented, presented.customBaseUrl);
    let allValid = true;
    for (const id of PROVIDER_IDS) {
      const result = results[id];
      if (result === undefined) continue;
      if (result.status !== "valid") allValid = false;
      const details = [
        result.httpStatus === null ? null : `HTTP ${result.httpStatus}`,
        result.egressReason,
        result.message,
      ].filter((part) => part !== null);
      console.log(
        [
          id,
          result.status,
          `${result.latencyMs} ms`,
          ...(details.length > 0 ? [details.join(": ")] : []),
        ].join("\t"),
      );
    }
    return allValid ? 0 : 1;
  } finally {
    await upstream.close();
  }
}
