/**
 * @module client/settings/settings-error-detail
 * What a `byok-error` event carries: the action that failed and the gateway's (or the network's) error.
 */
import { ByokClientError } from "../byok-client-error.ts";

export type SettingsAction = "load" | "save" | "remove" | "verify";

export interface SettingsErrorDetail {
  readonly action: SettingsAction;
  readonly status: number | null;
  readonly type: string;
  readonly message: string;
}

export function errorDetail(action: SettingsAction, error: unknown): SettingsErrorDetail {
  if (error instanceof ByokClientError) {
    return { action, status: error.status, type: error.type, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { action, status: null, type: "network_error", message };
}
